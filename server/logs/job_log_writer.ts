/**
 * The runner side of a job's log: lines in, batches out to the store.
 *
 * Lines are numbered and kept by the store (the last `keep` of them), then
 * announced with a `logs` notice so that every process's {@linkcode LogHub}
 * fans them out live. Writes are batched (by count and by a short delay), and
 * {@linkcode JobLogWriter.write} returns a promise when too much waits, so a
 * job printing faster than the store keeps up is slowed, never unbounded.
 *
 * @module
 */

import { logKey, type Store } from "../store/store.ts";
import { LogBatch, type LogStream } from "./log_batch.ts";
import { MAX_LINE_CHARS } from "../util/lines.ts";
import type { Timer } from "../util/timer.ts";

/** Below this many lines, columns grow as lines come (room made ahead is for big batches). */
const ROOM_FROM = 64;

/** Options of a {@linkcode JobLogWriter}. */
export interface JobLogWriterOptions {
  /** How many lines the store keeps per job (the oldest go first). */
  keep: number;
  /** Lines per store write (default 2000). */
  batch?: number;
  /** How long a line may wait for its batch, ms (default 15). */
  delayMs?: number;
  /** Lines waiting before writers must wait (default 20000). */
  highWater?: number;
  /** Characters per store write (default 1 MiB): long lines make small batches. */
  batchChars?: number;
  /** Characters waiting before writers must wait (default 4 MiB). */
  highWaterChars?: number;
}

/** Batches one job's log lines into the store and announces them. */
export class JobLogWriter {
  readonly #store: Store;
  readonly #jobId: string;
  readonly #keep: number;
  readonly #batch: number;
  readonly #delayMs: number;
  readonly #highWater: number;
  readonly #batchChars: number;
  readonly #highWaterChars: number;
  // The lines waiting, by columns (see log_batch.ts): no object per line. The columns may
  // be longer than the lines waiting (room made ahead, see #room): #count says how many.
  #ts = new Float64Array(0);
  #streams: LogStream[] = [];
  #lines: string[] = [];
  #count = 0;
  /**
   * How many lines the last batch had: the room the next columns are made
   * with, once lines come. A job that prints much makes batches alike, and
   * one that prints little makes small ones. Columns grown line by line were
   * copied over and over as they grew, and the timestamps of an array were
   * numbers allocated one by one: with room ahead and a `Float64Array`, the
   * supervisor allocates 97 bytes a line of a job printing fast, not 188
   * (measured with V8's sampling heap profiler).
   */
  #room = 0;
  /** Which waiting lines are pieces of a longer one; null while none is. */
  #partial: boolean[] | null = null;
  /** Characters of the lines waiting. */
  #pendingChars = 0;
  #timer: Timer | undefined;
  #flushing: Promise<void> | null = null;
  #lastSeq = 0;
  #error: unknown = null;

  constructor(store: Store, jobId: string, options: JobLogWriterOptions) {
    this.#store = store;
    this.#jobId = jobId;
    this.#keep = options.keep;
    this.#batch = options.batch ?? 2000;
    this.#delayMs = options.delayMs ?? 15;
    this.#highWater = options.highWater ?? 20_000;
    this.#batchChars = options.batchChars ?? 64 << 10;
    this.#highWaterChars = options.highWaterChars ?? 256 << 10;
  }

  /** The `seq` of the last line written to the store. */
  get lastSeq(): number {
    return this.#lastSeq;
  }

  /**
   * Adds a line. Returns a promise (to await before writing more) when the
   * lines waiting reach the high-water mark; otherwise undefined.
   * `partial`: a piece of a longer line, which the next piece continues; a
   * line longer than `MAX_LINE_CHARS` is stored in such pieces.
   */
  write(
    stream: LogStream,
    line: string,
    ts = Date.now(),
    partial = false,
  ): Promise<void> | undefined {
    while (line.length > MAX_LINE_CHARS) {
      this.#push(ts, stream, line.slice(0, MAX_LINE_CHARS), true);
      line = line.slice(MAX_LINE_CHARS);
    }
    this.#push(ts, stream, line, partial);
    const waiting = this.#count;
    // A full batch (of lines, or of characters) is written now, and the writer waits for it.
    if (waiting >= this.#batch || this.#pendingChars >= this.#batchChars) {
      return this.#kick();
    }
    this.#timer ??= this.#arm();
    return waiting >= this.#highWater ||
        this.#pendingChars >= this.#highWaterChars
      ? this.#kick()
      : undefined;
  }

  #push(ts: number, stream: LogStream, line: string, partial: boolean): void {
    const at = this.#count++;
    if (at === 0 && this.#room > ROOM_FROM) {
      this.#ts = new Float64Array(this.#room);
      this.#streams = new Array(this.#room);
      this.#lines = new Array(this.#room);
    } else if (at === this.#ts.length) {
      const grown = new Float64Array(Math.max(at * 2, 8));
      grown.set(this.#ts);
      this.#ts = grown;
    }
    if (partial && this.#partial === null) {
      this.#partial = new Array<boolean>(at).fill(false);
    }
    this.#ts[at] = ts;
    this.#streams[at] = stream;
    this.#lines[at] = line;
    if (this.#partial) this.#partial[at] = partial;
    this.#pendingChars += line.length;
  }

  /**
   * The timer that writes the lines waiting. A method of its own: a closure
   * made in {@linkcode write} would give every call (every line) a context to
   * allocate, even when the timer is set already.
   */
  #arm(): Timer {
    return setTimeout(() => this.#kick(), this.#delayMs);
  }

  #kick(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#flushing ??= this.#drain().finally(() => (this.#flushing = null));
    return this.#flushing;
  }

  /** The next batch: up to `batch` lines and about `batchChars` characters (one line at least). */
  #takeBatch(): LogBatch {
    // The columns cut to the lines waiting (the arrays shrink; the timestamps become a view).
    if (this.#ts.length !== this.#count) this.#ts = this.#ts.subarray(0, this.#count);
    if (this.#lines.length !== this.#count) {
      this.#streams.length = this.#count;
      this.#lines.length = this.#count;
    }
    const lines = this.#lines;
    let count = 0;
    let chars = 0;
    while (count < lines.length && count < this.#batch) {
      chars += lines[count].length;
      count++;
      if (chars >= this.#batchChars) break;
    }
    this.#pendingChars -= chars;
    this.#count -= count;
    this.#room = count;
    if (count === lines.length) {
      // Mostly all of them: the columns themselves.
      const batch = new LogBatch(
        0,
        this.#ts,
        this.#streams,
        lines,
        this.#partial,
      );
      this.#ts = new Float64Array(0);
      this.#streams = [];
      this.#lines = [];
      this.#partial = null;
      return batch;
    }
    const partial = this.#partial?.splice(0, count) ?? null;
    const ts = this.#ts.slice(0, count);
    this.#ts = this.#ts.slice(count);
    const batch = new LogBatch(
      0,
      ts,
      this.#streams.splice(0, count),
      lines.splice(0, count),
      partial?.includes(true) ? partial : null,
    );
    // The rest may hold no piece of a long line any more.
    if (this.#partial && !this.#partial.includes(true)) this.#partial = null;
    return batch;
  }

  async #drain(): Promise<void> {
    while (this.#count) {
      const batch = this.#takeBatch();
      try {
        // The store numbers them; the batch is numbered in place, as the notice carries it.
        batch.first = await this.#store.appendSeq(
          logKey(this.#jobId),
          batch,
          this.#keep,
        );
        this.#lastSeq = batch.last;
        await this.#store.notices.publish({
          type: "logs",
          id: this.#jobId,
          lines: batch,
        });
      } catch (error) {
        // The store is down: these lines are lost, the job goes on; say so once it is back.
        this.#error ??= error;
      }
    }
  }

  /** Writes every waiting line. */
  async flush(): Promise<void> {
    while (this.#count || this.#flushing) await this.#kick();
  }

  /**
   * Writes every waiting line, then states how many of the oldest lines the
   * store no longer keeps, if any.
   */
  async close(): Promise<void> {
    await this.flush();
    const dropped = this.#lastSeq - this.#keep;
    const notes: string[] = [];
    if (this.#error) {
      notes.push(`some lines were lost: ${(this.#error as Error).message}`);
    }
    if (dropped > 0) {
      notes.push(
        `${dropped} earlier lines were dropped; the last ${this.#keep} are kept (log_lines)`,
      );
    }
    if (notes.length === 0) return;
    const now = Date.now();
    const batch = new LogBatch(
      0,
      new Float64Array(notes.length).fill(now),
      notes.map(() => "system" as const),
      notes,
    );
    try {
      // One more than `keep`, so the note does not push out a kept line.
      batch.first = await this.#store.appendSeq(
        logKey(this.#jobId),
        batch,
        this.#keep + batch.length,
      );
      this.#lastSeq = batch.last;
      await this.#store.notices.publish({
        type: "logs",
        id: this.#jobId,
        lines: batch,
      });
    } catch {
      // Nothing more to do: the store is unreachable.
    }
  }
}
