/**
 * The supervisor side of job logs: live fan-out to any number of readers.
 *
 * The hub hears every `logs` and `job.final` notice (from this process's
 * runners or, through Redis, from remote agents), keeps the most recent
 * lines of recent jobs in ring buffers, and wakes the readers waiting on a
 * job. Readers pull at their own pace ({@linkcode LogHub.read}): a slow reader
 * never holds up a job or another reader; if it falls further behind than the
 * store keeps, it is told how many lines it missed.
 *
 * @module
 */

import type { LogLine } from "../../shared/types.generated.ts";
import { LogBatch } from "./log_batch.ts";
import type { Notice } from "../store/notices.ts";
import { logKey, type Store } from "../store/store.ts";
import { RecentSet } from "../util/recent_set.ts";

/** Lines kept per job in memory for readers that join late. */
export const RING_LINES = 1024;
/**
 * Characters kept per job. Small: a line holds on to the chunk of output it
 * was cut from, so a ring of long lines keeps several times its size alive
 * (measured: with 1 MiB, a job printing 1 GiB without newlines grew the
 * supervisor by 55 MiB; with 64 KiB, by 27 MiB). A reader further behind
 * reads the store.
 */
const RING_BYTES = 1 << 16;
const MAX_RINGS = 64;

/** The most recent lines of one job: batches as they came, their lines consecutive. */
class Ring {
  batches: LogBatch[] = [];
  /** Lines and characters held. */
  count = 0;
  bytes = 0;

  push(batch: LogBatch): void {
    const last = this.last;
    batch = batch.from(last + 1);
    if (batch.length === 0) return;
    // A gap (a notice that never came): the ring starts over, so that it stays contiguous
    // and a read from before the gap goes to the store.
    if (last && batch.first !== last + 1) {
      this.batches = [];
      this.count = 0;
      this.bytes = 0;
    }
    this.batches.push(batch);
    this.count += batch.length;
    this.bytes += batch.chars;
    // Whole batches go first; then lines of the oldest, down to the bounds (one line at least).
    while (this.batches.length > 1) {
      const oldest = this.batches[0];
      if (
        this.count - oldest.length < RING_LINES &&
        this.bytes - oldest.chars <= RING_BYTES
      ) break;
      this.batches.shift();
      this.count -= oldest.length;
      this.bytes -= oldest.chars;
    }
    const oldest = this.batches[0];
    let cut = 0;
    let cutChars = 0;
    while (
      this.count - cut > RING_LINES ||
      (this.bytes - cutChars > RING_BYTES && this.count - cut > 1)
    ) {
      cutChars += oldest.lines[cut++].length;
    }
    if (cut) {
      if (cut === oldest.length) this.batches.shift();
      else this.batches[0] = oldest.from(oldest.first + cut);
      this.count -= cut;
      this.bytes -= cutChars;
    }
  }

  /** The highest seq held, or 0. */
  get last(): number {
    return this.batches.at(-1)?.last ?? 0;
  }

  /**
   * Lines after `after` (those of one batch: a reader reads again for the
   * next), if the ring holds all of them; null if it does not reach back.
   */
  after(after: number, limit: number): LogBatch | null {
    const first = this.batches[0]?.first;
    if (first === undefined || after + 1 < first) return null;
    for (const batch of this.batches) {
      if (batch.last > after) return batch.from(after + 1, limit);
    }
    return LogBatch.EMPTY;
  }
}

/** A read from {@linkcode LogHub.read}. */
export interface LogRead {
  lines: LogBatch;
  /** Lines after the cursor that are no longer kept (the reader fell behind). */
  skipped: number;
}

/** Fans out job log lines to readers in this process. */
export class LogHub {
  readonly #store: Store;
  readonly #rings = new Map<string, Ring>();
  readonly #waiters = new Map<string, Set<() => void>>();
  readonly #listeners = new Map<string, Set<(lines: LogBatch) => void>>();
  /** Jobs recently announced final, so a reader arriving just after the notice is not kept waiting. */
  readonly #finished = new RecentSet<string>(4096);
  readonly #unsubscribe: () => void;

  constructor(store: Store) {
    this.#store = store;
    this.#unsubscribe = store.notices.subscribe((n) => this.#onNotice(n));
  }

  #onNotice(notice: Notice): void {
    if (notice.type === "logs") {
      let ring = this.#rings.get(notice.id);
      if (ring) {
        this.#rings.delete(notice.id); // re-insert: most recently used last
      } else {
        ring = new Ring();
        if (this.#rings.size >= MAX_RINGS) {
          this.#rings.delete(this.#rings.keys().next().value!);
        }
      }
      this.#rings.set(notice.id, ring);
      ring.push(notice.lines);
      for (const listener of this.#listeners.get(notice.id) ?? []) {
        listener(notice.lines);
      }
      this.#wake(notice.id);
    } else if (notice.type === "job.final") {
      this.#finished.add(notice.id);
      this.#wake(notice.id);
    } else if (notice.type === "notices.resumed") {
      // Lines or ends may have been missed: the rings may lack some (a ring is only a cache),
      // and every reader reads the store now.
      this.#rings.clear();
      for (const id of [...this.#waiters.keys()]) this.#wake(id);
    }
  }

  #wake(jobId: string): void {
    const waiters = this.#waiters.get(jobId);
    if (!waiters) return;
    this.#waiters.delete(jobId);
    for (const wake of waiters) wake();
  }

  /**
   * Reads up to `limit` lines after `after`: from memory when the ring reaches
   * back that far (none, if the reader is level with it: the next notice
   * wakes it), else from the store. `stored` reads the store in any case.
   */
  async read(
    jobId: string,
    after: number,
    limit: number,
    stored = false,
  ): Promise<LogRead> {
    const fromRing = stored ? null : this.#rings.get(jobId)?.after(after, limit);
    if (fromRing) return { lines: fromRing, skipped: 0 };
    const page = await this.#store.readSeq<Omit<LogLine, "seq">>(
      logKey(jobId),
      after,
      limit,
    );
    // A store's page is consecutive (its chunks are); anything else would be a broken store.
    const lines = LogBatch.of(page.items as LogLine[]);
    if (!lines) {
      throw new Error(`the log of job ${jobId} is not in order in the store`);
    }
    const skipped = lines.length ? lines.first - after - 1 : Math.max(0, page.dropped - after);
    return { lines, skipped };
  }

  /**
   * Resolves when a line after `afterSeq` or the end of `jobId` is (or was
   * already) announced, when `signal` aborts, or after `timeoutMs`.
   */
  waitForNews(
    jobId: string,
    afterSeq: number,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<void> {
    if (
      (this.#rings.get(jobId)?.last ?? 0) > afterSeq ||
      this.#finished.has(jobId)
    ) {
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      let set = this.#waiters.get(jobId);
      if (!set) this.#waiters.set(jobId, set = new Set());
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        this.#waiters.get(jobId)?.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      signal?.addEventListener("abort", done, { once: true });
      set.add(done);
    });
  }

  /**
   * Hands every line announced for `jobId` to `listener` as it comes (live
   * readers keep their own bounded queue); returns the function that stops.
   */
  listen(
    jobId: string,
    listener: (lines: LogBatch) => void,
  ): () => void {
    let set = this.#listeners.get(jobId);
    if (!set) this.#listeners.set(jobId, set = new Set());
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.#listeners.delete(jobId);
    };
  }

  /** Forgets what is held about a job (it was deleted; its id may be used again). */
  forget(jobId: string): void {
    this.#rings.delete(jobId);
    this.#finished.delete(jobId);
  }

  /** Stops listening to notices and wakes every waiting reader. */
  close(): void {
    this.#unsubscribe();
    for (const id of [...this.#waiters.keys()]) this.#wake(id);
  }
}
