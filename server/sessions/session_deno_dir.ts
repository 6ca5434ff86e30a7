/**
 * The DENO_DIR of session processes.
 *
 * Deno keeps an analysis of every module it loads (its imports) in a SQLite
 * file in DENO_DIR, keyed by the module's URL, for good. A payload's URL is
 * its source, so each distinct payload would stay in the user's DENO_DIR
 * (about 10 KB each, measured). Sessions get a DENO_DIR of their own instead,
 * in the supervisor's temp dir, and when its analysis cache has grown past a
 * bound, the next sessions get a fresh one. The cache is kept, not turned
 * off: it spares every session the analysis of its host program (without
 * it, a session cost 1 ms more CPU, measured).
 *
 * What sessions should share with the user is linked in: the cache of remote
 * modules (`remote/`) and of npm packages (`npm/`), so that a runner granted
 * the net finds what is already downloaded and keeps what it downloads.
 *
 * @module
 */

/** The caches sessions share with the user's DENO_DIR. */
export const SHARED_CACHES = ["remote", "npm"] as const;

/** Deno's analysis cache and its write-ahead log, the files that grow with payloads. */
const ANALYSIS_FILES = ["dep_analysis_cache_v2", "dep_analysis_cache_v2-wal"];

/** Settings of a {@linkcode SessionDenoDir}. */
export interface SessionDenoDirOptions {
  /** The bound on the analysis cache, bytes (default 64 MiB). */
  maxCacheBytes?: number;
  /** How many sessions start between two looks at the cache's size (default 256). */
  checkEvery?: number;
  /**
   * How long a replaced DENO_DIR is kept, ms (default 60 s): a session that
   * started with it opens its caches during its first milliseconds.
   */
  keepReplacedMs?: number;
}

/** The DENO_DIR for the next session, replaced when its analysis cache outgrows its bound. */
export class SessionDenoDir {
  readonly #userDenoDir: string;
  readonly #parent: string;
  readonly #maxCacheBytes: number;
  readonly #checkEvery: number;
  readonly #keepReplacedMs: number;
  #current: string;
  #started = 0;
  /** Replaced dirs, with when they were replaced. */
  #replaced: { path: string; at: number }[] = [];
  /** Removals under way. */
  readonly #removing = new Set<Promise<void>>();

  private constructor(
    userDenoDir: string,
    parent: string,
    options: SessionDenoDirOptions,
  ) {
    this.#userDenoDir = userDenoDir;
    this.#parent = parent;
    this.#maxCacheBytes = options.maxCacheBytes ?? 64 * 1024 * 1024;
    this.#checkEvery = options.checkEvery ?? 256;
    this.#keepReplacedMs = options.keepReplacedMs ?? 60_000;
    this.#current = this.#make();
  }

  /**
   * Makes the first session DENO_DIR in `parent` (as `deno-…`), sharing
   * `userDenoDir`'s module caches.
   */
  static open(
    userDenoDir: string,
    parent: string,
    options: SessionDenoDirOptions = {},
  ): SessionDenoDir {
    return new SessionDenoDir(userDenoDir, parent, options);
  }

  /** The DENO_DIR a session starting now gets. */
  forNextSession(): string {
    if (
      ++this.#started % this.#checkEvery === 0 &&
      this.#cacheBytes() > this.#maxCacheBytes
    ) {
      this.#replaced.push({ path: this.#current, at: Date.now() });
      this.#current = this.#make();
      this.#removeReplaced(Date.now() - this.#keepReplacedMs);
    }
    return this.#current;
  }

  /** Removes every session DENO_DIR (not what they link to). */
  async close(): Promise<void> {
    this.#removeReplaced(Infinity);
    this.#remove(this.#current);
    await Promise.all(this.#removing);
  }

  /** A new session DENO_DIR. A shared cache it cannot link (a read-only DENO_DIR) stays its own. */
  #make(): string {
    const dir = Deno.makeTempDirSync({ dir: this.#parent, prefix: "deno-" });
    for (const name of SHARED_CACHES) {
      try {
        Deno.mkdirSync(`${this.#userDenoDir}/${name}`, { recursive: true });
        Deno.symlinkSync(`${this.#userDenoDir}/${name}`, `${dir}/${name}`);
      } catch {
        // Not shared: Deno makes the folder in the session DENO_DIR when it needs it.
      }
    }
    return dir;
  }

  #cacheBytes(): number {
    let bytes = 0;
    for (const name of ANALYSIS_FILES) {
      try {
        bytes += Deno.statSync(`${this.#current}/${name}`).size;
      } catch {
        // Not made yet.
      }
    }
    return bytes;
  }

  /** Removes the dirs replaced before `before` (ms since the epoch), in the background. */
  #removeReplaced(before: number): void {
    for (const { path } of this.#replaced.filter((r) => r.at <= before)) {
      this.#remove(path);
    }
    this.#replaced = this.#replaced.filter((r) => r.at > before);
  }

  #remove(path: string): void {
    const removal = Deno.remove(path, { recursive: true })
      .catch(() => {})
      .finally(() => this.#removing.delete(removal));
    this.#removing.add(removal);
  }
}
