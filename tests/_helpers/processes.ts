/**
 * Asking the OS about processes: tests check what really runs, not our
 * bookkeeping.
 *
 * @module
 */

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
