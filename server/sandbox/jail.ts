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
import { pathExists } from "../util/path_exists.ts";

/** How to launch a confined program. */
export interface JailLaunch {
  /** bubblewrap and its arguments (before `--`), or null without namespaces. */
  bwrap: { path: string; args: string[] } | null;
  /** The control group it joins, or null. */
  cgroup: Cgroup | null;
  /** Whether it leads a process group of its own (namespaces always do). */
  ownGroup: boolean;
  /**
   * Killed when the supervisor dies (a service's or a process runner's: nothing else tells
   * them; a session's host ends when its channel closes).
   */
  dieWithParent?: boolean;
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

/** The children of a process (bubblewrap's: its namespace's init), from /proc. */
function childrenOf(pid: number): number[] {
  try {
    const kids: number[] = [];
    for (const task of Deno.readDirSync(`/proc/${pid}/task`)) {
      const list = Deno.readTextFileSync(`/proc/${pid}/task/${task.name}/children`).trim();
      if (list) kids.push(...list.split(" ").map(Number));
    }
    return kids;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound && pathExists(`/proc/${pid}`)) {
      return childrenByParent(pid); // No children lists on this kernel.
    }
    return [];
  }
}

/** A process's pid in the innermost PID namespace it is in (the last of its `NSpid`). */
function innermostPid(pid: number): number | null {
  try {
    const line = Deno.readTextFileSync(`/proc/${pid}/status`).match(/^NSpid:\s*(.*)$/m);
    return line ? Number(line[1].trim().split(/\s+/).at(-1)) : null;
  } catch {
    return null;
  }
}

/** Every process whose parent is `pid`, by a walk of /proc. */
function childrenByParent(pid: number): number[] {
  const kids: number[] = [];
  try {
    for (const entry of Deno.readDirSync("/proc")) {
      if (!/^\d+$/.test(entry.name)) continue;
      try {
        const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
        if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === pid) {
          kids.push(Number(entry.name));
        }
      } catch {
        // Gone.
      }
    }
  } catch {
    // No /proc.
  }
  return kids;
}

/** A process's state letter from /proc (`T`: stopped), or null once it is gone. */
function stateOf(pid: number): string | null {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat[stat.lastIndexOf(")") + 2];
  } catch {
    return null;
  }
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
      ? spawnGroupLeader(argv[0], spawnOptions, { dieWithParent: launch.dieWithParent })
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
      const [init] = childrenOf(this.pid);
      if (init !== undefined && signalGroup(init, signal)) return true;
      // Still being set up: nothing of the program runs yet. A bubblewrap ended midway can
      // leave the namespace it was making behind, running: it is killed the thorough way.
      this.kill();
      return true;
    }
    if (this.#launch.ownGroup) {
      return signalGroup(this.pid, signal) || signalProcess(this.pid, signal);
    }
    return !this.#reaped && signalProcess(this.pid, signal);
  }

  /**
   * Ends everything at once: the namespace (its init, and with it every
   * process in it, whatever session or group they made), bubblewrap, the
   * group, and whatever else is left in the control group.
   */
  kill(): void {
    if (this.#launch.bwrap) {
      this.#killNamespace();
    } else {
      if (this.#launch.ownGroup) signalGroup(this.pid, "SIGKILL");
      if (!this.#reaped) signalProcess(this.pid, "SIGKILL");
    }
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
   * Kills the PID namespace through its init. bubblewrap's own `--die-with-parent`
   * does not cover its set-up: killed then, it left the namespace's init and the
   * program running, re-parented to PID 1 (seen under load, without a control
   * group to sweep them). Its children are bubblewrap's own, read while it
   * cannot make more: stopped first, unless the init is there already.
   */
  #killNamespace(): void {
    if (this.#reaped) return;
    const kids = childrenOf(this.pid);
    if (kids.length) {
      for (const kid of kids) signalProcess(kid, "SIGKILL");
      signalGroup(this.pid, "SIGKILL") || signalProcess(this.pid, "SIGKILL");
      return;
    }
    // No init yet, or one being made right now: stopped, bubblewrap makes none after it.
    signalProcess(this.pid, "SIGSTOP");
    this.#killing = this.#killing.then(async () => {
      for (let i = 0; i < 1000 && !this.#reaped; i++) {
        const state = stateOf(this.pid);
        if (state === null || state === "Z" || state === "X") break;
        if (state === "T" || state === "t") {
          for (const kid of childrenOf(this.pid)) signalProcess(kid, "SIGKILL");
          break;
        }
        await new Promise((r) => setTimeout(r, 1));
      }
      if (!this.#reaped) signalGroup(this.pid, "SIGKILL") || signalProcess(this.pid, "SIGKILL");
    });
  }

  /**
   * The pid, as this process sees it, of the jail's process that is `innerPid`
   * in its own PID namespace (what `Deno.pid` says there); null when there is
   * none. Outside a namespace, that is the program itself; inside one, it is
   * looked up among bubblewrap's descendants.
   */
  programPid(innerPid: number): number | null {
    if (this.#reaped) return null;
    if (!this.#launch.bwrap) return innerPid === this.pid ? this.pid : null;
    let level = [this.pid];
    for (let depth = 0; depth < 4 && level.length; depth++) {
      const next: number[] = [];
      for (const pid of level) {
        for (const kid of childrenOf(pid)) {
          if (innermostPid(kid) === innerPid) return kid;
          next.push(kid);
        }
      }
      level = next;
    }
    return null;
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
