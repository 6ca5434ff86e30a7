/**
 * Control groups for confined processes: one group per session (or
 * process-runner instance), under one group per supervisor, with the
 * kernel enforcing its memory, process count and CPU share. A group also
 * holds every process its members start, `setsid` and double forks
 * included, so ending all of them needs no process tree.
 *
 * cgroup v2 (one hierarchy) and v1 (one per controller) behind one
 * interface; `probe.ts` finds which one this host lets us use.
 *
 * @module
 */

import type { CgroupLayout } from "./probe.ts";

/** What a group enforces. */
export interface CgroupLimits {
  /** All memory of its processes (heap, buffers, children), bytes. */
  memoryBytes?: number;
  /** Processes and threads at once. */
  pidsMax?: number;
  /** CPU time as a number of cores (0.5: half of one). */
  cpus?: number;
}

/** One group: its processes, limits and OOM record. */
export interface Cgroup {
  /** The `cgroup.procs` files a process joins by writing its pid (one per hierarchy). */
  readonly procsFiles: string[];
  /** How many times the kernel killed a process here for memory. */
  oomKills(): number;
  /** The pids in it now. */
  pids(): number[];
  /** SIGKILLs every process in it until none is left (bounded). */
  killAll(): Promise<void>;
  /** Removes the group once it is empty (after `killAll`). */
  remove(): Promise<void>;
}

/** Makes groups under this process's group for one supervisor (or agent). */
export interface CgroupTree {
  readonly version: 1 | 2;
  /** Which limits it can enforce. */
  readonly enforces: { memory: boolean; pids: boolean; cpu: boolean };
  /** A new group for one confined process. */
  create(limits: CgroupLimits): Cgroup;
  /** Removes the tree (every group must be empty); the groups made ahead go first. */
  close(): Promise<void>;
}

/** How many groups a tree keeps made ahead of need, per set of limits. */
const SPARE_GROUPS = 4;

/**
 * Groups made ahead of need, off the event loop, with their limits written.
 * Made at once, a group held the supervisor's event loop while isolated jobs
 * churned: its `mkdir` and the writes of its limits wait for the kernel's
 * cgroup locks, which the teardown of ended groups holds (measured, 705
 * groups: 0.28 ms at the median, 5.1 ms at p90, 17 ms at most). Made ahead
 * with the asynchronous calls (on the runtime's threads). Made on first
 * need only: a supervisor that confines nothing makes none.
 */
class SpareGroups {
  readonly #ready: Cgroup[] = [];
  readonly #making = new Set<Promise<void>>();
  #closed = false;

  constructor(readonly make: () => Promise<Cgroup>) {}

  /** A group made ahead, if one is ready; more are made meanwhile. */
  take(): Cgroup | undefined {
    const group = this.#ready.pop();
    while (!this.#closed && this.#ready.length + this.#making.size < SPARE_GROUPS) {
      const making: Promise<void> = this.make().then(
        (made) => this.#closed ? made.remove() : void this.#ready.push(made),
        () => {
          // Not made: the next group is made when it is needed, which says why it cannot be.
        },
      ).finally(() => this.#making.delete(making));
      this.#making.add(making);
    }
    return group;
  }

  /** Removes the groups made ahead (and those still being made). */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#making);
    await Promise.all(this.#ready.splice(0).map((group) => group.remove()));
  }
}

/** How a tree makes one group: its directories and its limits' files, each in order. */
interface GroupPlan {
  dirs: string[];
  /** Each file with the value written to it. */
  files: [string, string][];
  /** The group, once made. */
  group: Cgroup;
}

/** Makes a tree's groups, ahead of need where it can (see {@linkcode SpareGroups}). */
abstract class GroupMaker {
  #count = 0;
  /** By limits (a runner's groups all have the same). */
  readonly #spares = new Map<string, SpareGroups>();

  /** How to make group `name` with `limits`. */
  protected abstract plan(name: string, limits: CgroupLimits): GroupPlan;

  create(limits: CgroupLimits): Cgroup {
    const key = JSON.stringify(limits);
    let spares = this.#spares.get(key);
    if (!spares) this.#spares.set(key, spares = new SpareGroups(() => this.#makeAhead(limits)));
    return spares.take() ?? this.#makeNow(limits);
  }

  #makeNow(limits: CgroupLimits): Cgroup {
    const { dirs, files, group } = this.plan(`g${++this.#count}`, limits);
    try {
      for (const dir of dirs) Deno.mkdirSync(dir);
    } catch (error) {
      group.remove();
      throw error;
    }
    for (const [file, value] of files) write(file, value);
    return group;
  }

  async #makeAhead(limits: CgroupLimits): Promise<Cgroup> {
    const { dirs, files, group } = this.plan(`g${++this.#count}`, limits);
    try {
      for (const dir of dirs) await Deno.mkdir(dir);
    } catch (error) {
      await group.remove();
      throw error;
    }
    for (const [file, value] of files) {
      await Deno.writeTextFile(file, value).catch(() => {
        // As `write`: a file this host lacks (swap accounting off, say) limits nothing.
      });
    }
    return group;
  }

  /** Removes the groups made ahead. */
  protected closeSpares(): Promise<unknown> {
    return Promise.all([...this.#spares.values()].map((spares) => spares.close()));
  }
}

function read(path: string): string | null {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return null;
  }
}

function write(path: string, value: string): boolean {
  try {
    Deno.writeTextFileSync(path, value);
    return true;
  } catch {
    return false;
  }
}

/** The number after `key` in a flat-keyed file (`oom_kill 3`), or 0. */
function counter(text: string | null, key: string): number {
  const match = text?.match(new RegExp(`^${key} (\\d+)$`, "m"));
  return match ? Number(match[1]) : 0;
}

function pidsIn(procsFile: string): number[] {
  return (read(procsFile) ?? "").split("\n").filter(Boolean).map(Number);
}

/** Removes a directory of a cgroup file system, retrying while the kernel still tears it down. */
async function removeGroupDir(dir: string): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      await Deno.remove(dir);
      return;
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

async function killUntilEmpty(
  procsFile: string,
  killFile?: string,
): Promise<void> {
  // cgroup.kill (v2, Linux 5.14+) kills the whole group at once, forks in flight included.
  if (killFile && write(killFile, "1")) return;
  for (let round = 0; round < 100; round++) {
    const pids = pidsIn(procsFile);
    if (pids.length === 0) return;
    for (const pid of pids) {
      try {
        Deno.kill(pid, "SIGKILL");
      } catch {
        // Gone already.
      }
    }
    await new Promise((r) => setTimeout(r, round < 5 ? 1 : 10));
  }
}

/** The CPU period the quota is a share of, µs. */
const CPU_PERIOD_US = 100_000;

class V2Group implements Cgroup {
  readonly procsFiles: string[];
  constructor(readonly dir: string) {
    this.procsFiles = [`${dir}/cgroup.procs`];
  }
  oomKills(): number {
    return counter(read(`${this.dir}/memory.events`), "oom_kill");
  }
  pids(): number[] {
    return pidsIn(this.procsFiles[0]);
  }
  killAll(): Promise<void> {
    return killUntilEmpty(this.procsFiles[0], `${this.dir}/cgroup.kill`);
  }
  remove(): Promise<void> {
    return removeGroupDir(this.dir);
  }
}

class V2Tree extends GroupMaker implements CgroupTree {
  readonly version = 2 as const;

  constructor(
    readonly dir: string,
    readonly enforces: { memory: boolean; pids: boolean; cpu: boolean },
  ) {
    super();
  }

  protected plan(name: string, limits: CgroupLimits): GroupPlan {
    const dir = `${this.dir}/${name}`;
    const files: [string, string][] = [];
    if (limits.memoryBytes && this.enforces.memory) {
      files.push([`${dir}/memory.max`, String(limits.memoryBytes)]);
      files.push([`${dir}/memory.swap.max`, "0"]);
      // The whole group goes at once: a job is not left half killed.
      files.push([`${dir}/memory.oom.group`, "1"]);
    }
    if (limits.pidsMax && this.enforces.pids) {
      files.push([`${dir}/pids.max`, String(limits.pidsMax)]);
    }
    if (limits.cpus && this.enforces.cpu) {
      files.push([
        `${dir}/cpu.max`,
        `${Math.round(limits.cpus * CPU_PERIOD_US)} ${CPU_PERIOD_US}`,
      ]);
    }
    return { dirs: [dir], files, group: new V2Group(dir) };
  }

  async close(): Promise<void> {
    await this.closeSpares();
    await removeGroupDir(this.dir);
  }
}

class V1Group implements Cgroup {
  readonly procsFiles: string[];
  constructor(readonly dirs: V1Dirs) {
    this.procsFiles = Object.values(dirs).map((d) => `${d}/cgroup.procs`);
  }
  oomKills(): number {
    if (!this.dirs.memory) return 0;
    return counter(read(`${this.dirs.memory}/memory.oom_control`), "oom_kill");
  }
  pids(): number[] {
    return pidsIn(this.procsFiles[0]);
  }
  async killAll(): Promise<void> {
    await killUntilEmpty(this.procsFiles[0]);
  }
  remove(): Promise<void> {
    return removeV1Dirs(this.dirs);
  }
}

class V1Tree extends GroupMaker implements CgroupTree {
  readonly version = 1 as const;
  readonly enforces: { memory: boolean; pids: boolean; cpu: boolean };

  constructor(readonly dirs: V1Dirs) {
    super();
    this.enforces = {
      memory: !!dirs.memory,
      pids: !!dirs.pids,
      cpu: !!dirs.cpu,
    };
  }

  protected plan(name: string, limits: CgroupLimits): GroupPlan {
    const dirs: V1Dirs = {};
    for (const [controller, parent] of Object.entries(this.dirs)) {
      // A group in the cpu hierarchy only holds a CPU limit: without one, the process stays in
      // this process's (one directory fewer to make, join and remove per session).
      if (controller === "cpu" && !limits.cpus) continue;
      dirs[controller as keyof V1Dirs] = `${parent}/${name}`;
    }
    const files: [string, string][] = [];
    if (limits.memoryBytes && dirs.memory) {
      files.push([`${dirs.memory}/memory.limit_in_bytes`, String(limits.memoryBytes)]);
      // With swap accounting, swap counts too (it must be at least the memory limit).
      files.push([`${dirs.memory}/memory.memsw.limit_in_bytes`, String(limits.memoryBytes)]);
      files.push([`${dirs.memory}/memory.swappiness`, "0"]);
    }
    if (limits.pidsMax && dirs.pids) {
      files.push([`${dirs.pids}/pids.max`, String(limits.pidsMax)]);
    }
    if (limits.cpus && dirs.cpu) {
      files.push([`${dirs.cpu}/cpu.cfs_period_us`, String(CPU_PERIOD_US)]);
      files.push([
        `${dirs.cpu}/cpu.cfs_quota_us`,
        String(Math.round(limits.cpus * CPU_PERIOD_US)),
      ]);
    }
    return { dirs: Object.values(dirs), files, group: new V1Group(dirs) };
  }

  async close(): Promise<void> {
    await this.closeSpares();
    await removeV1Dirs(this.dirs);
  }
}

/** A cgroup v1 group: its directory in each hierarchy. */
type V1Dirs = { memory?: string; pids?: string; cpu?: string };

/** Removes a v1 group's directories (those that exist). */
async function removeV1Dirs(dirs: V1Dirs): Promise<void> {
  await Promise.all(Object.values(dirs).map((d) => removeGroupDir(d!)));
}

/**
 * Opens a supervisor's tree named `name` in the layout the probe found, and
 * removes the trees named `prefix…` whose owner is gone (`isOrphan`),
 * killing what is left in them first.
 */
export async function openCgroupTree(
  layout: CgroupLayout,
  name: string,
  prefix: string,
  isOrphan: (name: string) => boolean,
): Promise<CgroupTree> {
  const parents = layout.version === 2 ? [layout.base] : Object.values(layout.dirs) as string[];
  for (const parent of parents) await sweep(parent, prefix, name, isOrphan);
  if (layout.version === 2) {
    const dir = `${layout.base}/${name}`;
    Deno.mkdirSync(dir);
    const on = layout.controllers;
    const wanted = (["memory", "pids", "cpu"] as const).filter((c) => on[c]);
    for (const c of wanted) write(`${dir}/cgroup.subtree_control`, `+${c}`);
    const enabled = (read(`${dir}/cgroup.subtree_control`) ?? "").split(/\s+/);
    return new V2Tree(dir, {
      memory: enabled.includes("memory"),
      pids: enabled.includes("pids"),
      cpu: enabled.includes("cpu"),
    });
  }
  const dirs: { memory?: string; pids?: string; cpu?: string } = {};
  for (const [controller, parent] of Object.entries(layout.dirs)) {
    const dir = `${parent}/${name}`;
    Deno.mkdirSync(dir);
    dirs[controller as keyof typeof dirs] = dir;
  }
  return new V1Tree(dirs);
}

/** Removes the orphaned trees named `prefix…` in `parent` (their groups, then themselves). */
async function sweep(
  parent: string,
  prefix: string,
  own: string,
  isOrphan: (name: string) => boolean,
): Promise<void> {
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(parent)];
  } catch {
    return;
  }
  for (const entry of entries) {
    if (
      !entry.isDirectory || !entry.name.startsWith(prefix) || entry.name === own
    ) continue;
    if (!isOrphan(entry.name)) continue;
    const tree = `${parent}/${entry.name}`;
    const groups = [...Deno.readDirSync(tree)].filter((e) => e.isDirectory).map(
      (e) => e.name,
    );
    for (const group of groups) {
      await killUntilEmpty(`${tree}/${group}/cgroup.procs`);
      await removeGroupDir(`${tree}/${group}`);
    }
    await killUntilEmpty(`${tree}/cgroup.procs`);
    await removeGroupDir(tree);
  }
}
