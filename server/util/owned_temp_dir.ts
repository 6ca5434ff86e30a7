/**
 * Temp dirs held by the process that made them, so that the next process of
 * the same kind can remove those whose owner died without cleaning up (a
 * `kill -9`, a crash): a supervisor's work dir and session DENO_DIRs would
 * pile up in the temp dir otherwise.
 *
 * The owner holds an exclusive lock (`flock`) on a file in its dir for as
 * long as it lives; the system lets go of it when the process ends, however
 * it ends. A dir whose lock can be taken has no owner any more. (A pid and
 * `/proc` would need `--allow-all` from Deno.)
 *
 * @module
 */

/** The file in an owned dir that its owner keeps locked. */
const LOCK_FILE = "owner.lock";

/** A temp dir this process holds. */
export interface OwnedTempDir {
  readonly path: string;
  /** Lets go of the dir (after removing it, or to leave it to a sweep). */
  release(): void;
}

/** Makes a temp dir named `prefix…`, held by this process until `release()` or its end. */
export async function makeOwnedTempDir(prefix: string): Promise<OwnedTempDir> {
  const path = await Deno.makeTempDir({ prefix });
  const lock = await Deno.open(`${path}/${LOCK_FILE}`, {
    create: true,
    read: true,
    write: true,
  });
  await lock.lock(true);
  let held = true;
  return {
    path,
    release() {
      if (held) lock.close();
      held = false;
    },
  };
}

/**
 * Removes the temp dirs named `prefix…` (next to `near`, one of them) that
 * no live process holds. Dirs with no lock file are left alone: they may be
 * another program's. Returns the paths removed.
 */
export async function sweepOrphanedDirs(
  prefix: string,
  near: string,
): Promise<string[]> {
  const parent = near.slice(0, near.lastIndexOf("/")) || "/";
  const removed: string[] = [];
  for await (const entry of Deno.readDir(parent)) {
    const dir = `${parent}/${entry.name}`;
    if (!entry.isDirectory || !entry.name.startsWith(prefix) || dir === near) {
      continue;
    }
    let lock: Deno.FsFile;
    try {
      lock = await Deno.open(`${dir}/${LOCK_FILE}`, {
        read: true,
        write: true,
      });
    } catch {
      continue;
    }
    try {
      if (!(await lock.tryLock(true))) continue;
      await Deno.remove(dir, { recursive: true });
      removed.push(dir);
    } catch {
      // Another process swept it first, or it is not ours to remove.
    } finally {
      lock.close();
    }
  }
  return removed;
}
