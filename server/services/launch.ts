/**
 * Starting a program for a runner: the one shape both process managers give
 * (`simple`: a confined child process; `tmux:SESSION`: a window of that
 * session, see `tmux.ts`), so that process runners and services read,
 * signal and reap their instances the same way wherever they run.
 *
 * @module
 */

import type { RunnerConfig } from "../../shared/types.generated.ts";
import type { Confinement } from "../sandbox/mod.ts";
import type { ChunkReader } from "../util/lines.ts";

/** What starts instance `slot` of a runner's program (`env`: its whole environment). */
export function launchSpec(
  config: RunnerConfig,
  slot: number,
  env: Record<string, string>,
  protocol: boolean,
): LaunchSpec {
  return {
    program: config.binary_path!,
    args: config.args ?? [],
    env,
    cwd: config.working_dir,
    user: config.user,
    protocol,
    name: `${config.name}-${slot}`,
  };
}

/** What to start. */
export interface LaunchSpec {
  program: string;
  args: string[];
  /** Its whole environment (nothing else is inherited). */
  env: Record<string, string>;
  cwd?: string;
  /** Run as this user (a name or a uid); needs root. */
  user?: string;
  /**
   * Whether it speaks the runner protocol (frames on its stdin and stdout).
   * Otherwise its stdin is a pipe that stays open and quiet (a program that
   * reads it, `cat`, waits as a daemon would), or under tmux the pane.
   */
  protocol: boolean;
  /** A name for it (a tmux window's): `RUNNER-INSTANCE`. */
  name: string;
}

/** A started program. */
export interface Launched {
  readonly pid: number;
  /** Its stdin (the protocol's frames go there), when it has one the supervisor holds. */
  readonly stdin: WritableStream<Uint8Array> | null;
  readonly stdout: ReadableStream<Uint8Array> | ChunkReader;
  readonly stderr: ReadableStream<Uint8Array> | ChunkReader | null;
  /** Resolves when it has exited. */
  readonly status: Promise<Deno.CommandStatus>;
  /** Sends a signal to it and what it started; false when it is gone. */
  signal(signal: Deno.Signal): boolean;
  /** Ends it and all it started at once. */
  kill(): void;
  /** After its exit: removes what was made for it (its control group, its tmux window). */
  release(): Promise<void>;
  /** Whether the kernel killed a process of it for exceeding its memory limit. */
  memoryExceeded(): boolean;
}

/** Starts programs for one runner. */
export interface Launcher {
  launch(spec: LaunchSpec): Promise<Launched>;
  /** A short name for status and logs: "simple" or "tmux:SESSION". */
  readonly name: string;
}

/** The ids to switch to for `user` (a name from /etc/passwd, or a uid). */
export function resolveUser(user: string): { uid: number; gid: number; name?: string } {
  let passwd = "";
  try {
    passwd = Deno.readTextFileSync("/etc/passwd");
  } catch {
    // No passwd file: only a numeric uid can be used.
  }
  for (const line of passwd.split("\n")) {
    const [name, , uid, gid] = line.split(":");
    if (name === user || (uid === user && /^\d+$/.test(user))) {
      return { uid: Number(uid), gid: Number(gid), name };
    }
  }
  if (/^\d+$/.test(user)) return { uid: Number(user), gid: Number(user) };
  throw new Error(`user: no user named ${JSON.stringify(user)}`);
}

/**
 * The command prefix that runs a program as `user` (util-linux `setpriv`,
 * with that user's groups); empty when no switch is needed. Throws when the
 * supervisor cannot switch (not root).
 */
export function userPrefix(user: string | undefined): string[] {
  if (user === undefined) return [];
  const target = resolveUser(user);
  if (target.uid === Deno.uid()) return [];
  if (Deno.uid() !== 0) {
    throw new Error(
      `user: switching to ${JSON.stringify(user)} needs the supervisor to run as root`,
    );
  }
  return [
    "setpriv",
    `--reuid=${target.uid}`,
    `--regid=${target.gid}`,
    ...(target.name ? ["--init-groups"] : ["--clear-groups"]),
    "--",
  ];
}

/** `simple`: children of the supervisor, in the runner's OS sandbox. */
export class SimpleLauncher implements Launcher {
  readonly name = "simple";
  constructor(readonly confinement: Confinement) {}

  launch(spec: LaunchSpec): Promise<Launched> {
    const argv = [...userPrefix(spec.user), spec.program, ...spec.args];
    const jail = this.confinement.spawn(argv[0], {
      args: argv.slice(1),
      clearEnv: true,
      env: spec.env,
      cwd: spec.cwd,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    });
    const child = jail.child;
    return Promise.resolve({
      pid: child.pid,
      stdin: child.stdin,
      stdout: child.stdout,
      stderr: child.stderr,
      status: child.status,
      signal: (signal) => jail.signal(signal),
      kill: () => jail.kill(),
      release: () => jail.release(),
      memoryExceeded: () => jail.memoryExceeded(),
    });
  }
}

/**
 * The instances being started (spawns are asynchronous): a stop or a
 * readiness check waits until none is, without polling, so that no timer of
 * theirs outlives the executor.
 */
export class Launching {
  readonly #slots = new Set<number>();
  #idle: (() => void)[] = [];

  get size(): number {
    return this.#slots.size;
  }

  has(slot: number): boolean {
    return this.#slots.has(slot);
  }

  add(slot: number): void {
    this.#slots.add(slot);
  }

  delete(slot: number): void {
    this.#slots.delete(slot);
    if (this.#slots.size > 0) return;
    const idle = this.#idle;
    this.#idle = [];
    for (const wake of idle) wake();
  }

  /** Resolves once nothing is being started, or after `timeoutMs` (when given). */
  idle(timeoutMs?: number): Promise<void> {
    if (this.#slots.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      this.#idle.push(done);
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          this.#idle = this.#idle.filter((w) => w !== done);
          resolve();
        }, timeoutMs);
      }
    });
  }
}
