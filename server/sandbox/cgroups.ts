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
  create(name: string, limits: CgroupLimits): Cgroup;
  /** Removes the tree (every group must be empty). */
  close(): Promise<void>;
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

class V2Tree implements CgroupTree {
  readonly version = 2 as const;
  constructor(
    readonly dir: string,
    readonly enforces: { memory: boolean; pids: boolean; cpu: boolean },
  ) {}

  create(name: string, limits: CgroupLimits): Cgroup {
    const dir = `${this.dir}/${name}`;
    Deno.mkdirSync(dir);
    if (limits.memoryBytes && this.enforces.memory) {
      write(`${dir}/memory.max`, String(limits.memoryBytes));
      write(`${dir}/memory.swap.max`, "0");
      // The whole group goes at once: a job is not left half killed.
      write(`${dir}/memory.oom.group`, "1");
    }
    if (limits.pidsMax && this.enforces.pids) {
      write(`${dir}/pids.max`, String(limits.pidsMax));
    }
    if (limits.cpus && this.enforces.cpu) {
      write(
        `${dir}/cpu.max`,
        `${Math.round(limits.cpus * CPU_PERIOD_US)} ${CPU_PERIOD_US}`,
      );
    }
    return new V2Group(dir);
  }

  close(): Promise<void> {
    return removeGroupDir(this.dir);
  }
}

class V1Group implements Cgroup {
  readonly procsFiles: string[];
  constructor(readonly dirs: { memory?: string; pids?: string; cpu?: string }) {
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
  async remove(): Promise<void> {
    await Promise.all(Object.values(this.dirs).map((d) => removeGroupDir(d!)));
  }
}

class V1Tree implements CgroupTree {
  readonly version = 1 as const;
  readonly enforces: { memory: boolean; pids: boolean; cpu: boolean };
  constructor(readonly dirs: { memory?: string; pids?: string; cpu?: string }) {
    this.enforces = {
      memory: !!dirs.memory,
      pids: !!dirs.pids,
      cpu: !!dirs.cpu,
    };
  }

  create(name: string, limits: CgroupLimits): Cgroup {
    const dirs: { memory?: string; pids?: string; cpu?: string } = {};
    try {
      for (const [controller, parent] of Object.entries(this.dirs)) {
        const dir = `${parent}/${name}`;
        Deno.mkdirSync(dir);
        dirs[controller as keyof typeof dirs] = dir;
      }
    } catch (error) {
      for (const dir of Object.values(dirs)) removeGroupDir(dir!);
      throw error;
    }
    if (limits.memoryBytes && dirs.memory) {
      write(`${dirs.memory}/memory.limit_in_bytes`, String(limits.memoryBytes));
      // With swap accounting, swap counts too (it must be at least the memory limit).
      write(
        `${dirs.memory}/memory.memsw.limit_in_bytes`,
        String(limits.memoryBytes),
      );
      write(`${dirs.memory}/memory.swappiness`, "0");
    }
    if (limits.pidsMax && dirs.pids) {
      write(`${dirs.pids}/pids.max`, String(limits.pidsMax));
    }
    if (limits.cpus && dirs.cpu) {
      write(`${dirs.cpu}/cpu.cfs_period_us`, String(CPU_PERIOD_US));
      write(
        `${dirs.cpu}/cpu.cfs_quota_us`,
        String(Math.round(limits.cpus * CPU_PERIOD_US)),
      );
    }
    return new V1Group(dirs);
  }

  async close(): Promise<void> {
    await Promise.all(Object.values(this.dirs).map((d) => removeGroupDir(d!)));
  }
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
