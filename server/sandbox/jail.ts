/**
 * One confined process tree: started inside its namespaces (bubblewrap),
 * in its own control group, as the leader of its own session; signalled
 * gently through the namespace's process group, and ended all at once.
 *
 * The launch chain is `setsid` (away from the terminal's signals), then a
 * shell that writes its pid into the group's `cgroup.procs` files (so that
 * everything after it is counted and held there), then `bwrap`, then the
 * program. Each step is left out when its layer is.
 *
 * @module
 */

import { signalGroup, signalProcess, spawnGroupLeader } from "../util/process_group.ts";
import type { Cgroup } from "./cgroups.ts";

/** How to launch a confined program. */
export interface JailLaunch {
  /** bubblewrap and its arguments (before `--`), or null without namespaces. */
  bwrap: { path: string; args: string[] } | null;
  /** The control group it joins, or null. */
  cgroup: Cgroup | null;
  /** Whether it leads a process group of its own (namespaces always do). */
  ownGroup: boolean;
}

/** Single-quotes a word for `sh`. */
function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** The shell line that moves itself into the group, then becomes the program. */
function joinScript(procsFiles: string[]): string {
  const joins = procsFiles.map((f) => `echo $$ > ${shellQuote(f)}`).join(
    " && ",
  );
  return `${joins} || exit 125; exec "$@"`;
}

/** The first child of a process (bubblewrap's init in the namespace), or null. */
function firstChild(pid: number): number | null {
  try {
    const first = Deno.readTextFileSync(`/proc/${pid}/task/${pid}/children`).trim().split(
      " ",
    )[0];
    if (first) return Number(first);
  } catch {
    // No such file on this kernel: look through /proc below.
  }
  try {
    for (const entry of Deno.readDirSync("/proc")) {
      if (!/^\d+$/.test(entry.name)) continue;
      try {
        const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
        const ppid = Number(
          stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1],
        );
        if (ppid === pid) return Number(entry.name);
      } catch {
        // Gone.
      }
    }
  } catch {
    // No /proc.
  }
  return null;
}

/**
 * A process and its descendants, counted through /proc's children lists
 * (every thread's: a child's parent is the thread that spawned it); null
 * when the kernel has no such lists.
 */
function descendantCount(pid: number): number | null {
  try {
    Deno.statSync(`/proc/${pid}/task/${pid}/children`);
  } catch {
    return null; // No such lists on this kernel (or the process is gone).
  }
  let count = 0;
  const stack = [pid];
  try {
    while (stack.length) {
      const next = stack.pop()!;
      count++;
      let tasks: Iterable<Deno.DirEntry>;
      try {
        tasks = Deno.readDirSync(`/proc/${next}/task`);
      } catch {
        continue; // Gone meanwhile.
      }
      for (const task of tasks) {
        try {
          const kids = Deno.readTextFileSync(`/proc/${next}/task/${task.name}/children`).trim();
          if (kids) stack.push(...kids.split(" ").map(Number));
        } catch (error) {
          if (!(error instanceof Deno.errors.NotFound)) throw error;
        }
      }
    }
  } catch {
    return null;
  }
  return count;
}

/** A confined process tree. */
export class Jailed {
  readonly child: Deno.ChildProcess;
  /** The outermost process (bubblewrap's, or the program's own). */
  readonly pid: number;
  readonly #launch: JailLaunch;
  #released: Promise<void> | null = null;
  /** The sweep of its control group a kill started (awaited by `release`). */
  #killing: Promise<void> = Promise.resolve();
  /** Reaped: its pid may belong to another process now, its group only to what it left. */
  #reaped = false;

  constructor(
    program: string,
    options: Deno.CommandOptions,
    launch: JailLaunch,
  ) {
    this.#launch = launch;
    let argv = [program, ...(options.args ?? [])];
    if (launch.bwrap) {
      argv = [launch.bwrap.path, ...launch.bwrap.args, "--", ...argv];
    }
    if (launch.cgroup) {
      argv = [
        "/bin/sh",
        "-c",
        joinScript(launch.cgroup.procsFiles),
        "sh",
        ...argv,
      ];
    }
    const spawnOptions = { ...options, args: argv.slice(1) };
    this.child = launch.ownGroup || launch.bwrap
      ? spawnGroupLeader(argv[0], spawnOptions)
      : new Deno.Command(argv[0], spawnOptions).spawn();
    this.pid = this.child.pid;
    this.child.status.then(
      () => (this.#reaped = true),
      () => (this.#reaped = true),
    );
  }

  /** Whether it runs in namespaces of its own. */
  get namespaced(): boolean {
    return this.#launch.bwrap !== null;
  }

  /**
   * Sends a signal to the program and what it started (the group they share;
   * inside namespaces, that of the namespace's init, which ignores it). False
   * when it is gone.
   */
  signal(signal: Deno.Signal): boolean {
    if (this.#launch.bwrap) {
      // Once bubblewrap is gone, so is its namespace.
      if (this.#reaped) return false;
      const init = firstChild(this.pid);
      // Not set up yet: nothing of the program runs, so ending bubblewrap is all there is.
      if (init === null) return signalProcess(this.pid, signal);
      return signalGroup(init, signal) || signalProcess(this.pid, signal);
    }
    if (this.#launch.ownGroup) {
      return signalGroup(this.pid, signal) || signalProcess(this.pid, signal);
    }
    return !this.#reaped && signalProcess(this.pid, signal);
  }

  /**
   * Ends everything at once: bubblewrap (its namespace dies with it), the
   * group, and whatever else is left in the control group.
   */
  kill(): void {
    if (this.#launch.bwrap || this.#launch.ownGroup) {
      signalGroup(this.pid, "SIGKILL");
    }
    if (!this.#reaped) signalProcess(this.pid, "SIGKILL");
    const cgroup = this.#launch.cgroup;
    if (cgroup) {
      // The group's sweep (a read of its process list, a kill of each) on the next turn: the
      // signals above already ended the job's processes, and the outcome goes out first (a
      // trace showed 0.4 ms between a job's result frame and its outcome, this sweep inside).
      this.#killing = this.#killing.then(() => new Promise((r) => setTimeout(r, 0)))
        .then(() => cgroup.killAll()).catch(() => {});
    }
  }

  /**
   * How many processes it has now: from its control group, else (a group
   * of its own, no namespace) itself and its descendants, from /proc; null
   * when neither can tell.
   */
  processCount(): number | null {
    if (this.#launch.cgroup) return this.#launch.cgroup.pids().length;
    if (this.#launch.ownGroup && !this.#launch.bwrap && !this.#reaped) {
      return descendantCount(this.pid);
    }
    return null;
  }

  /**
   * Whether the kernel killed a process of it for exceeding its memory
   * limit (more than `before` times: a reused session's count goes on).
   */
  memoryExceeded(before = 0): boolean {
    return this.oomKills() > before;
  }

  /** How many of its processes the kernel killed for memory so far. */
  oomKills(): number {
    return this.#launch.cgroup?.oomKills() ?? 0;
  }

  /** Kills what is left in its control group and removes the group (once, after its exit). */
  release(): Promise<void> {
    const cgroup = this.#launch.cgroup;
    this.#released ??= cgroup
      ? this.#killing.then(() => cgroup.killAll()).then(() => cgroup.remove())
        .catch(() => {})
      : Promise.resolve();
    return this.#released;
  }
}
