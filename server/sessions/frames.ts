/**
 * Frames: the messages between the supervisor and the processes it runs
 * jobs in, one JSON object per line.
 *
 * A session process (one job in a fresh Deno process) and the supervisor
 * talk over a private Unix socket, never over stdout or stderr, so nothing a
 * script prints can pass for a frame. A process runner (an external program, which
 * is trusted) writes its frames on stdout after the prefix {@linkcode FRAME_PREFIX};
 * its other lines are its own log. `docs/protocol.md` documents both.
 *
 * @module
 */

/** What a session host process sends the supervisor. */
export type SessionFrame =
  | { type: "hello"; token: string; pid: number }
  | { type: "result"; mode: "value" | "stdout"; value?: unknown; rss?: number }
  | { type: "error"; message: string; name?: string; stack?: string; rss?: number };

/**
 * What the supervisor sends a session host, over the frame socket once the
 * host said hello: a job (one, or one at a time with runner isolation), and,
 * with runner isolation, a request to mark the end of the last job's output.
 * (The socket's path, the session's token and which socket grants to revoke
 * come as the host's arguments.)
 */
export type HostFrame = JobFrame | MarkFrame;

/** A job for a session host. */
export type JobFrame = {
  type: "job";
  job: {
    id: string;
    caller_id?: string;
    context_id?: string;
    env_vars: Record<string, string>;
    /** Which attempt this is (1 for the first). */
    attempt: number;
    /** What its prerequisites returned, by id (only when it has any). */
    deps?: Record<string, unknown>;
  };
  /** The payload's module source (see `payload_module.ts`). */
  payload: string;
  /** How the host imports it: stripped of types by the supervisor, or TypeScript. */
  language: "javascript" | "typescript";
  /**
   * A line the host writes last on stdout and stderr once the job is done:
   * reading it tells the supervisor it has all of the job's output.
   */
  end_mark: string;
  /** The most characters of JSON a result may take (the host refuses a larger one). */
  max_result_chars: number;
  /**
   * `false` (runner isolation): the host writes no end marks after the job
   * unless a {@linkcode MarkFrame} asks for them. The supervisor sends it
   * when the process wrote anything while the job ran: a job that wrote
   * nothing has no output to wait for.
   */
  marks?: boolean;
};

/** Runner isolation: write the end mark on stdout and stderr now (the job before is done). */
export type MarkFrame = { type: "mark"; end_mark: string };

/** What the supervisor sends a process runner on its stdin. */
export type ToRunnerFrame =
  | {
    type: "job";
    job: {
      id: string;
      payload: string;
      caller_id?: string;
      context_id?: string;
      env_vars: Record<string, string>;
      timeout: number;
      attempt: number;
      /** What its prerequisites returned, by id (only when it has any). */
      deps?: Record<string, unknown>;
    };
  }
  | { type: "stop"; job_id: string; reason: string }
  | { type: "ping"; id: string };

/** What a process runner writes on stdout (after {@linkcode FRAME_PREFIX}). */
export type FromRunnerFrame =
  | { type: "ready" }
  | { type: "log"; job_id: string; stream?: "stdout" | "stderr"; line: string }
  | { type: "result"; job_id: string; value?: unknown }
  | { type: "error"; job_id: string; message: string }
  | { type: "pong"; id: string };

/** Marks a process runner's stdout line as a frame. */
export const FRAME_PREFIX = "@hero ";

/** The largest frame accepted, in characters (a big result must fit). */
export const MAX_FRAME_CHARS = 16 * 1024 * 1024;

/** One frame as a line, newline included. */
export function encodeFrame(frame: object): string {
  return JSON.stringify(frame) + "\n";
}

/** The frame types a peer may send, each with its required fields and their JSON types. */
export type FrameFields = Readonly<
  Record<string, Readonly<Record<string, string>>>
>;

/** The frames of {@linkcode SessionFrame}. */
export const SESSION_FRAMES: FrameFields = {
  hello: { token: "string", pid: "number" },
  result: { mode: "string" },
  error: { message: "string" },
};

/** The frames of {@linkcode FromRunnerFrame}. */
export const RUNNER_FRAMES: FrameFields = {
  ready: {},
  log: { job_id: "string", line: "string" },
  result: { job_id: "string" },
  error: { job_id: "string", message: "string" },
  pong: { id: "string" },
};

/**
 * Parses one frame line against the frames a peer may send. Returns null for
 * anything that is not a well-formed frame of a known type with its required
 * fields: a peer cannot make the supervisor act on a malformed frame.
 */
export function decodeFrame<T extends { type: string }>(
  line: string,
  fields: FrameFields,
): T | null {
  if (line.length > MAX_FRAME_CHARS) return null;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return null;
  }
  const frame = value as Record<string, unknown>;
  const required = typeof frame.type === "string" && Object.hasOwn(fields, frame.type)
    ? fields[frame.type]
    : undefined;
  if (!required) return null;
  for (const [key, type] of Object.entries(required)) {
    const actual: string = typeof frame[key];
    if (actual !== type) return null;
  }
  return frame as T;
}
