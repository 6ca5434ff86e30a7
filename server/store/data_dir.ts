/**
 * One owner per `data_dir`: a supervisor holds an exclusive lock (`flock`)
 * on `data_dir/supervisor.lock` for as long as it runs, taken before
 * anything in the directory is touched, with its pid written in the file.
 * A second supervisor on the same directory is refused, naming the owner,
 * and changes nothing. The system lets go of the lock however the owner
 * ends (`kill -9` included).
 *
 * @module
 */

/** The lock file in `data_dir`. */
export const LOCK_FILE = "supervisor.lock";

/** `data_dir` is held by another live process. */
export class DataDirInUseError extends Error {
  constructor(readonly dir: string, readonly pid: number | null) {
    super(
      `data_dir ${dir} is in use by ${pid ? `pid ${pid}` : "another process"}` +
        " (one supervisor per data_dir)",
    );
    this.name = "DataDirInUseError";
  }
}

/** A `data_dir` this process holds. */
export interface DataDirClaim {
  readonly path: string;
  /** Whether this process made the directory (a failed start removes it again). */
  readonly created: boolean;
  /** Lets go of it; with `removeIfCreated`, removes a directory this process made. */
  release(removeIfCreated?: boolean): Promise<void>;
}

/**
 * Makes `path` (mode 0700) if it is missing and takes its lock. Throws
 * {@linkcode DataDirInUseError} when another process holds it.
 */
export async function claimDataDir(path: string): Promise<DataDirClaim> {
  let created = false;
  try {
    await Deno.mkdir(path, { mode: 0o700 });
    // The mode given to mkdir is cut by the umask; this is exact.
    await Deno.chmod(path, 0o700);
    created = true;
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) {
      // Its parents may be missing: made as mkdir -p would, the last one private.
      await Deno.mkdir(path, { recursive: true, mode: 0o700 });
      await Deno.chmod(path, 0o700);
      created = true;
    }
  }
  const lockPath = `${path}/${LOCK_FILE}`;
  const file = await Deno.open(lockPath, {
    read: true,
    write: true,
    create: true,
    mode: 0o600,
  });
  if (!(await file.tryLock(true))) {
    const text = await Deno.readTextFile(lockPath).catch(() => "");
    file.close();
    throw new DataDirInUseError(path, Number(text.trim()) || null);
  }
  await file.truncate(0);
  await file.write(new TextEncoder().encode(`${Deno.pid}\n`));
  let held = true;
  return {
    path,
    created,
    async release(removeIfCreated = false) {
      if (!held) return;
      held = false;
      if (removeIfCreated && created) {
        await Deno.remove(path, { recursive: true }).catch(() => {});
      } else {
        // The pid goes with the lock: a reader never takes a dead owner for a live one.
        await file.truncate(0).catch(() => {});
      }
      file.close();
    },
  };
}
