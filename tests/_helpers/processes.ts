/**
 * Asking the OS about processes: tests check what really runs, not our
 * bookkeeping.
 *
 * @module
 */

import { pathExists } from "../../server/util/path_exists.ts";

/** Whether a process exists and is not a zombie (it has exited but not been reaped). */
export function isAlive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // The state follows the command name in parentheses.
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

/** The pids of live processes whose command line contains `text`. */
export function findProcesses(text: string): number[] {
  const pids: number[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const cmd = Deno.readTextFileSync(`/proc/${entry.name}/cmdline`).replaceAll("\0", " ");
      if (cmd.includes(text) && isAlive(Number(entry.name))) pids.push(Number(entry.name));
    } catch {
      // gone
    }
  }
  return pids;
}

/** A process's parent, from /proc (0 when it is gone). */
export function parentOf(pid: number): number {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return 0;
  }
}

/** Every live process below `pid` (children, theirs, and so on), as the OS sees them now. */
export function descendantsOf(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    const child = Number(entry.name);
    const parent = parentOf(child);
    if (!children.has(parent)) children.set(parent, []);
    children.get(parent)!.push(child);
  }
  const out: number[] = [];
  const stack = [...(children.get(pid) ?? [])];
  while (stack.length) {
    const next = stack.pop()!;
    if (!isAlive(next)) continue;
    out.push(next);
    stack.push(...(children.get(next) ?? []));
  }
  return out;
}

/**
 * A process and its ancestors up to (not including) `top`: for a process a
 * job started, the session that ran the job, whatever namespaces it is in.
 */
export function ancestryBelow(pid: number, top: number): number[] {
  const chain: number[] = [];
  for (let p = pid; p > 1 && p !== top; p = parentOf(p)) chain.push(p);
  return chain;
}

/** The `sleep` program's path (spawned without a shell, it needs one). */
export const SLEEP = ["/usr/bin/sleep", "/bin/sleep"].find(pathExists)!;
