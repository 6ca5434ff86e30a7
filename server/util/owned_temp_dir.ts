/**
 * Temp dirs that say which process owns them, so that the next process of
 * the same kind can remove those whose owner died without cleaning up (a
 * `kill -9`, a crash): a supervisor's work dir and session DENO_DIRs would
 * pile up in the temp dir otherwise.
 *
 * The owner is its pid and its start time (from `/proc`), so a pid used
 * again by a later process is not taken for the owner. Where `/proc` is
 * missing, nothing is ever swept.
 *
 * @module
 */

/** The file in an owned dir that names its owner. */
const OWNER_FILE = "owner.json";

interface Owner {
  pid: number;
  /** When the process started, in clock ticks since boot (`/proc/PID/stat`, field 22). */
  start: string;
}

/** When `pid` started, or null where `/proc` does not say (gone, or no `/proc`). */
function startOf(pid: number): string | null {
  try {
    // Fields after the command name (which may hold spaces); the start time is the 22nd.
    return Deno.readTextFileSync(`/proc/${pid}/stat`).split(") ")[1].split(" ")[19] ?? null;
  } catch {
    return null;
  }
}

/** Makes a temp dir named `prefix…`, owned by this process. */
export async function makeOwnedTempDir(prefix: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix });
  const start = startOf(Deno.pid);
  if (start !== null) {
    const owner: Owner = { pid: Deno.pid, start };
    await Deno.writeTextFile(`${dir}/${OWNER_FILE}`, JSON.stringify(owner));
  }
  return dir;
}

/**
 * Removes the temp dirs named `prefix…` (next to `near`, one of them) whose
 * owner is gone. Dirs that name no owner are left alone: they may be
 * another program's. Returns the paths removed.
 */
export async function sweepOrphanedDirs(prefix: string, near: string): Promise<string[]> {
  const parent = near.slice(0, near.lastIndexOf("/")) || "/";
  const removed: string[] = [];
  for await (const entry of Deno.readDir(parent)) {
    const dir = `${parent}/${entry.name}`;
    if (!entry.isDirectory || !entry.name.startsWith(prefix) || dir === near) continue;
    let owner: Owner;
    try {
      owner = JSON.parse(await Deno.readTextFile(`${dir}/${OWNER_FILE}`));
    } catch {
      continue;
    }
    if (typeof owner.pid !== "number" || startOf(owner.pid) === owner.start) continue;
    try {
      await Deno.remove(dir, { recursive: true });
      removed.push(dir);
    } catch {
      // Another process swept it first, or it is not ours to remove.
    }
  }
  return removed;
}
