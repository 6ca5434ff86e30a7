/**
 * One session: a fresh Deno process that runs exactly one job.
 *
 * It is spawned ahead of time with the runner's permissions and a cleared
 * environment; when the job may start processes, as the leader of its own
 * process group. It is ready once its host says hello on the frame channel.
 * Then it gets one job over that channel; its stdout and stderr become the
 * job's log lines; its frames say how the job ended.
 * When the job is over the process is killed with its whole group, so
 * nothing the job started outlives it.
 *
 * @module
 */

import { MAX_RESULT_BYTES, resultProblem } from "../jobs/result_limits.ts";
import type { Confinement, Jailed } from "../sandbox/mod.ts";
import { forEachLine } from "../util/lines.ts";
import { terminateGroup } from "../util/process_group.ts";
import type { SocketGrants } from "./deno_flags.ts";
import { encodeFrame, type HostFrame, type JobFrame, type SessionFrame } from "./frames.ts";
import { payloadModule } from "./payload_module.ts";
import type { SessionChannel } from "./session_channel.ts";

/** How a session process is started. */
export interface SessionSpawnOptions {
  /** The `deno` executable. */
  deno: string;
  /** `session_host.js`. */
  hostPath: string;
  /** Permission flags (see `deno_flags.ts`). */
  permissionFlags: string[];
  /** The socket grants the host revokes once connected. */
  revoke: SocketGrants;
  /**
   * Whether the job may start processes (`run` granted). Only then is the
   * session the leader of a process group of its own, so that ending it ends
   * what it started: that spawn costs an extra program start (`setsid`), which
   * a job that can start nothing does not need. (Inside namespaces it always
   * leads one.)
   */
  ownGroup: boolean;
  /** Heap limit, MiB (and, with a memory control group, the limit of all its memory). */
  memoryMb: number;
  /** The whole environment of the process (it inherits nothing); its DENO_DIR included. */
  env: Record<string, string> & { DENO_DIR: string };
  cwd: string;
  channel: SessionChannel;
  /** Its runner's OS sandbox (see `server/sandbox/`). */
  confinement: Confinement;
  /**
   * Whether it serves many jobs, one after the other (runner isolation): the
   * host then loads each payload once, puts back what a job changed, and
   * waits for the next job instead of exiting.
   */
  reuse?: boolean;
}

/** Where a session's output goes. */
export type LineSink = (
  stream: "stdout" | "stderr",
  line: string,
  ts: number,
  /** A piece of a line longer than the limit; the next piece continues it. */
  partial?: boolean,
) => void | Promise<void>;

/** How a session's job ended, as the session saw it. */
export type SessionOutcome =
  | { kind: "success"; value: unknown }
  | { kind: "error"; message: string };

/** What a reused session's host said of itself after a job. */
export interface SessionState {
  /** Whether it can take another job: it reported an outcome and is alive. */
  reusable: boolean;
  /** Its resident memory after the job, bytes (0 when it did not say). */
  rss: number;
}

const MAX_STDOUT_RESULT = 1 << 20;

/** Room for a `/proc/PID/io` (7 lines of a name and a number). */
const ioBuffer = new Uint8Array(512);
const ioDecoder = new TextDecoder();

/** The `/proc/PID/io` of `pid`, open; null without a pid, or when it cannot be opened. */
function openIo(pid: number | null): Deno.FsFile | null {
  if (pid === null) return null;
  try {
    return Deno.openSync(`/proc/${pid}/io`);
  } catch {
    return null;
  }
}

/** One session process. */
export class SessionProcess {
  readonly pid: number;
  /** Resolves once the host said hello: the process can take its job at once. */
  readonly ready: Promise<void>;
  /** Resolves with the exit status once the process is gone and its output read. */
  readonly exited: Promise<Deno.CommandStatus>;
  readonly #jail: Jailed;
  /** The frame channel's connection, once the host said hello. */
  #conn: Deno.UnixConn | null = null;
  readonly #memoryMb: number;
  /** Whether its job may start processes. */
  readonly #ownGroup: boolean;
  #sink: LineSink;
  readonly #warmSink: LineSink;
  #final: Extract<SessionFrame, { type: "result" | "error" }> | null = null;
  /**
   * The job's stdout so far (up to {@linkcode MAX_STDOUT_RESULT} characters),
   * its result when its module has no default export: its lines, joined at
   * the end. Not a string grown line by line: that made two strings a line.
   */
  #stdoutLines: string[] = [];
  /** The length of that text. */
  #stdoutChars = 0;
  /** The last stdout piece was part of a longer line: the next one continues it. */
  #stdoutContinues = false;
  #stderrTail: string[] = [];
  #outOfMemory = false;
  /** Memory kills in its group before the current job. */
  #oomBefore = 0;
  /** Settles when stdout and stderr reached their end. */
  #output!: Promise<unknown>;
  /** Called when the final frame comes, and when each stream's end mark is read. */
  #onFinal: (() => void) | null = null;
  /** The line that ends the current job's output on each stream (random: a job cannot guess it). */
  #endMark = "";
  readonly #reuse: boolean;
  #alive = true;
  /** Jobs it ran (its runner counts them: a health ping is not one). */
  jobs = 0;
  /** How many processes it was when it became ready (see {@linkcode processCount}). */
  baselineProcesses = Infinity;
  /** After its last job: whether it may take another, and its memory. */
  state: SessionState = { reusable: false, rss: 0 };
  #marksSeen = 0;
  #cancelHello: () => void;
  /** Its pid in its own namespace, from its hello. */
  #helloPid = 0;
  /**
   * Runner isolation, when the job cannot start processes: the host's
   * `/proc/PID/io` (its pid as this process sees it), whose write count tells
   * whether a job wrote anything (see {@linkcode #countWrites}); null when it
   * cannot be told. Opened once and read again from its start: a read costs
   * a seek and a read, not an open, a stat, two reads and a close (measured:
   * 5-5.5 µs with its parse, against 15; in runner-isolated throughput on
   * Redis, one read a job went from 14% of the supervisor's busy time to 6%).
   */
  #hostIo: Deno.FsFile | null = null;
  /** The host's write count when the current job was sent; null when not known. */
  #writtenBefore: number | null = null;
  /**
   * The job before wrote nothing: the next one goes without end marks. Not
   * the first: importing its module writes Deno's caches.
   */
  #expectQuiet = false;
  /** The current job went without end marks. */
  #quiet = false;

  /** Whether its process still runs (it may be gone while what it left is cleaned up). */
  get alive(): boolean {
    return this.#alive;
  }

  /** Spawns a session process; `warmSink` gets what it prints before it has a job. */
  constructor(options: SessionSpawnOptions, warmSink: LineSink) {
    this.#memoryMb = options.memoryMb;
    this.#ownGroup = options.ownGroup;
    this.#reuse = options.reuse ?? false;
    this.#sink = warmSink;
    this.#warmSink = warmSink;
    const token = crypto.randomUUID();
    const expected = options.channel.expect(
      token,
      (frame) => this.#onFrame(frame),
    );
    this.#cancelHello = expected.cancel;
    const command: Deno.CommandOptions = {
      args: [
        "run",
        "--no-config",
        "--no-lock",
        "--no-prompt",
        "--quiet",
        // Every payload is a new module: with Deno's caches on, each would leave its
        // compiled code (and, for TypeScript, its emitted JavaScript) in DENO_DIR for good.
        "--no-code-cache",
        `--v8-flags=--max-old-space-size=${options.memoryMb}`,
        ...options.permissionFlags,
        options.hostPath,
        // The token is spent on the hello, before any job code runs; and only this user can
        // reach the socket (its folder is 0700). So it may be seen in the arguments.
        options.channel.path,
        token,
        revokeArgument(options.revoke),
        ...(this.#reuse ? ["reuse"] : []),
      ],
      cwd: options.cwd,
      clearEnv: true,
      env: { ...options.env, DENO_EMIT_CACHE_MODE: "disable" },
      // The job comes over the frame channel: a job reading stdin reads nothing.
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    };
    // Its own DENO_DIR is the one place a session writes without a grant.
    this.#jail = options.confinement.spawn(options.deno, command, {
      writable: [options.env.DENO_DIR],
      ownGroup: options.ownGroup,
    });
    const child = this.#jail.child;
    this.pid = child.pid;
    const output = Promise.all([
      this.#read(child.stdout, "stdout"),
      this.#read(child.stderr, "stderr"),
    ]);
    this.#output = output;
    // The host gone (a job may exit it) is the end of the job: what it started goes too,
    // which also ends the output it may hold open.
    child.status.then(() => {
      this.#alive = false;
      this.#jail.kill();
    });
    this.exited = Promise.all([child.status, output]).then(async ([status]) => {
      this.#cancelHello();
      this.#closeIo();
      // A result the host sent just before it exited may still be on its way: the process
      // is over once its socket is read to the end (the kernel closed it with the process).
      await expected.closed;
      this.#outOfMemory ||= this.#jail.memoryExceeded();
      await this.#jail.release();
      return status;
    });
    // Ready on hello; a process that dies first fails readiness with what it said.
    this.ready = Promise.race([
      expected.connected.then((conn) => {
        this.#conn = conn;
        this.baselineProcesses = this.processCount() ?? Infinity;
        // A job that may start processes has them write to its output too: their writes
        // are not the host's, so its end is always marked.
        if (this.#reuse && !this.#ownGroup) {
          this.#hostIo = openIo(this.#jail.programPid(this.#helloPid));
        }
      }),
      this.exited.then((status) => {
        throw new Error(
          `the session process exited before it was ready (${describeExit(status)})` +
            (this.#stderrTail.length ? `: ${this.#stderrTail.join(" | ")}` : ""),
        );
      }),
    ]);
    this.ready.catch(() => {});
  }

  async #read(
    stream: ReadableStream<Uint8Array>,
    name: "stdout" | "stderr",
  ): Promise<void> {
    // The host writes "\n" + mark: after output that ended its last line, that makes an
    // empty line, which is not the job's. An empty line is held until the next one shows
    // it was not that.
    let heldEmpty = false;
    // Not async: a line that needs no wait costs no promise (a printing job sends millions).
    await forEachLine(stream, (line, partial, at) => {
      if (line === this.#endMark && !partial) {
        heldEmpty = false;
        this.#marksSeen++;
        this.#onFinal?.();
        return;
      }
      const held = heldEmpty ? this.#line(name, "", false, at) : undefined;
      heldEmpty = line === "" && !partial;
      if (heldEmpty) return held;
      return held
        ? held.then(() => this.#line(name, line, partial, at))
        : this.#line(name, line, partial, at);
    }).catch(() => {});
  }

  /**
   * One line (or piece of a long one) of the job's output: kept for the
   * result and the death message, then sunk.
   */
  #line(
    name: "stdout" | "stderr",
    line: string,
    partial: boolean,
    at: number,
  ): void | Promise<void> {
    if (name === "stdout" && this.#stdoutChars < MAX_STDOUT_RESULT) {
      // The text `text += (text && !continues ? "\n" : "") + line` makes: empty lines
      // before the first text leave no trace in it.
      const lines = this.#stdoutLines;
      if (this.#stdoutChars === 0) {
        lines.length = 0;
        lines.push(line);
        this.#stdoutChars = line.length;
      } else if (this.#stdoutContinues) {
        lines[lines.length - 1] += line;
        this.#stdoutChars += line.length;
      } else {
        lines.push(line);
        this.#stdoutChars += line.length + 1;
      }
      this.#stdoutContinues = partial;
    } else if (name === "stderr" && !partial) {
      // V8 reports a heap limit hit on stderr just before the process aborts.
      if (/out of memory/i.test(line)) this.#outOfMemory = true;
      this.#stderrTail.push(line);
      if (this.#stderrTail.length > 5) this.#stderrTail.shift();
    }
    return this.#sink(name, line, at, partial);
  }

  #onFrame(frame: SessionFrame): void {
    if (frame.type === "hello") this.#helloPid = frame.pid;
    if ((frame.type === "result" || frame.type === "error") && !this.#final) {
      this.#final = frame;
      // A reused session waits for its next job (the host put back what the job changed).
      if (this.#reuse) {
        if (this.#hostIo !== null) this.#countWrites();
        this.#onFinal?.();
        return;
      }
      // The job is over: nothing it started may run on (nor its own code: an unload
      // handler, say). In namespaces, killing bubblewrap ends them all (the kernel tears
      // them down): at once when the job may have started processes; else on the next
      // turn, as the host alone is there and exits by itself after its result, so that the
      // kill and the teardown do not hold up the outcome's answer (measured: warm job.run
      // p50 0.28-0.34 ms lower). Otherwise frozen now, killed on the next turn.
      if (this.#jail.namespaced) {
        if (this.#ownGroup) this.#jail.kill();
        else setTimeout(() => this.#jail.kill(), 0);
      } else {
        this.#jail.signal("SIGSTOP");
        setTimeout(() => this.#jail.kill(), 0);
      }
      this.#onFinal?.();
    }
  }

  /**
   * Runs the job. Resolves with how it ended once its outcome and all its
   * output are in (or the process is gone); a session not reused is being
   * torn down by then. `sink` gets every output line from now on.
   */
  async run(
    job: JobFrame["job"],
    payload: string,
    sink: LineSink,
  ): Promise<SessionOutcome> {
    this.#sink = sink;
    this.#stdoutLines = [];
    this.#stdoutChars = 0;
    this.#stdoutContinues = false;
    this.#stderrTail = [];
    this.#final = null;
    this.#marksSeen = 0;
    // Runner isolation: without end marks when the job before wrote nothing (#countWrites).
    let quiet = false;
    if (this.#hostIo !== null) {
      this.#writtenBefore ??= this.#written();
      // Not to be read here (another user's namespace, say): marked as ever.
      if (this.#writtenBefore === null) this.#closeIo();
      quiet = this.#expectQuiet && this.#writtenBefore !== null;
    }
    this.#quiet = quiet;
    this.#endMark = `\u0000hero-end-${crypto.randomUUID()}`;
    this.state = { reusable: false, rss: 0 };
    // A reused session's count of memory kills goes on from the jobs before.
    this.#oomBefore = this.#reuse && this.#ownGroup ? this.#jail.oomKills() : 0;
    const { source, language } = payloadModule(payload);
    const frame: JobFrame = {
      type: "job",
      job,
      payload: source,
      language,
      end_mark: this.#endMark,
      max_result_chars: MAX_RESULT_BYTES,
      ...(quiet ? { marks: false } : {}),
    };
    // Not awaited: the answer is listened for while the frame goes out.
    this.#send(frame);
    // Done when the final frame came and both streams showed their end mark (all of
    // the job's output is read, without waiting for the kernel to tear the process
    // down), or when the process is gone.
    const reported = new Promise<null>((resolve) => {
      this.#onFinal = () => this.#final && this.#marksSeen >= 2 && resolve(null);
      this.#onFinal();
    });
    const status = await Promise.race([reported, this.exited]);
    this.#onFinal = null;
    // Whatever a killed grandchild still had in the pipe is not the job's any more; a reused
    // session's output between jobs is its runner's.
    this.#sink = this.#reuse ? this.#warmSink : () => {};
    const final = this.#final as
      | Extract<SessionFrame, { type: "result" | "error" }>
      | null;
    if (final && this.#reuse && this.#alive && !this.#outOfMemory) {
      this.state = { reusable: true, rss: final.rss ?? 0 };
    }
    // Its memory group hit the limit (a child may have been the one killed): the job failed.
    // (Only a job that can start processes can have one killed and live on: a session killed
    // for memory has no outcome to report.)
    if (final && this.#ownGroup && this.#jail.memoryExceeded(this.#oomBefore)) {
      return { kind: "error", message: this.#memoryMessage() };
    }
    if (final?.type === "result") {
      const value = final.mode === "stdout" ? this.#stdoutLines.join("\n") : final.value;
      const problem = resultProblem(value);
      return problem ? { kind: "error", message: problem } : { kind: "success", value };
    }
    if (final?.type === "error") {
      return { kind: "error", message: final.message };
    }
    return {
      kind: "error",
      message: this.#deathMessage(status ?? await this.exited),
    };
  }

  /** Writes a frame: a job, or the request for its end marks (one job at a time). */
  async #send(frame: HostFrame): Promise<void> {
    const bytes = new TextEncoder().encode(encodeFrame(frame));
    try {
      for (let off = 0; off < bytes.length;) {
        off += await this.#conn!.write(bytes.subarray(off));
      }
    } catch {
      // The process is gone (or was never ready); its exit says why.
    }
  }

  /** What the host process wrote so far, bytes (`wchar`: its socket not included); null if unknown. */
  #written(): number | null {
    try {
      this.#hostIo!.seekSync(0, Deno.SeekMode.Start);
      const n = this.#hostIo!.readSync(ioBuffer);
      const io = ioDecoder.decode(ioBuffer.subarray(0, n ?? 0));
      const at = io.indexOf("wchar: ");
      return at < 0 ? null : parseInt(io.slice(at + 7), 10);
    } catch {
      return null; // Gone, or not ours to read.
    }
  }

  #closeIo(): void {
    try {
      this.#hostIo?.close();
    } catch {
      // Closed already.
    }
    this.#hostIo = null;
  }

  /**
   * Runner isolation, on a job's outcome: whether the host wrote anything
   * while the job ran (output, a file, an event loop wake-up), from its write
   * count, which the kernel keeps and the job cannot change. A job sent
   * without end marks that wrote nothing is done: no output of it can be on
   * its way. One that wrote is asked for its end marks now, and they are
   * waited for as usual. A job sent with end marks that wrote nothing else
   * lets the next one go without. (Measured, back-to-back `job.run` on 2
   * instances: p50 0.05-0.14 ms lower than with end marks after every job.)
   */
  #countWrites(): void {
    const before = this.#writtenBefore;
    const now = this.#written();
    if (this.#quiet) {
      if (now !== null && now === before) {
        this.#marksSeen = 2;
        return;
      }
      this.#expectQuiet = false;
      // Its marks come after this count: the next job's is taken when it is sent.
      this.#writtenBefore = null;
      this.#send({ type: "mark", end_mark: this.#endMark });
      return;
    }
    // Its marks were written before its outcome: "\n", the mark, "\n" on each stream.
    const marks = 2 * (this.#endMark.length + 2);
    this.#expectQuiet = now !== null && before !== null && now - before === marks;
    this.#writtenBefore = now;
  }

  /** How many processes it is now (in its control group), or null without one. */
  processCount(): number | null {
    return this.#jail.processCount();
  }

  #memoryMessage(): string {
    return `killed: the job exceeded its memory limit of ${this.#memoryMb} MB (memory_mb)`;
  }

  #deathMessage(status: Deno.CommandStatus): string {
    if (this.#outOfMemory || this.#jail.memoryExceeded()) {
      return this.#memoryMessage();
    }
    const last = this.#stderrTail.filter((l) => l.trim()).at(-1);
    return `the job's process ${describeExit(status)} without a result` +
      (last ? `: ${last}` : "");
  }

  /**
   * Ends the session and all it started: SIGTERM, then SIGKILL after
   * `graceMs`. A host still waiting for its job exits at the SIGTERM.
   */
  async kill(graceMs: number): Promise<void> {
    await terminateGroup(this.pid, this.exited, graceMs, (_, signal) => {
      if (signal !== "SIGKILL") return this.#jail.signal(signal);
      this.#jail.kill();
      return true;
    });
  }
}

/** The socket grants the host revokes, as its argument: `r`, `w` and `n` for read, write, net. */
function revokeArgument(revoke: SocketGrants): string {
  return `${revoke.read ? "r" : ""}${revoke.write ? "w" : ""}${revoke.net ? "n" : ""}`;
}

/** "exited with code 3" or "was killed by SIGKILL". */
export function describeExit(status: Deno.CommandStatus): string {
  return status.signal ? `was killed by ${status.signal}` : `exited with code ${status.code}`;
}
