/**
 * A run of one job's log lines with consecutive `seq`s, held by columns.
 *
 * A job printing fast sends millions of lines, and each stage of the way
 * (the writer's batch, the store's chunk, the notice, the hub's ring, a
 * reader's queue, the SSE bytes) made or walked an object per line: about
 * 1.6 µs of supervisor CPU a line. By columns (a timestamp, a stream and a
 * text per line, numbers in a packed array) a line costs its string alone,
 * and a batch is cut, queued and encoded whole. It still reads, and is sent
 * to other processes as JSON, as the {@linkcode LogLine}s it holds.
 *
 * @module
 */

import type { LogLine } from "../../shared/types.generated.ts";
import { encodeColumns, type SeqColumns } from "../store/seq_chunk.ts";

/** A log line's stream. */
export type LogStream = LogLine["stream"];

/** One job's lines `first`, `first + 1`, … by columns. */
export class LogBatch implements SeqColumns {
  /** The `seq` of the first line; 0 until the store numbered them. */
  first: number;
  /**
   * When each line was read (ms since the epoch). Numbers unboxed: a writer
   * makes its column with room ahead, and a reader gets no number allocated
   * per line (an array with room ahead has holes, whose numbers are boxed).
   */
  readonly ts: Float64Array;
  readonly streams: readonly LogStream[];
  readonly lines: readonly string[];
  /** Which lines are pieces of a longer one; null when none is. */
  readonly partial: readonly boolean[] | null;
  #chars = -1;

  constructor(
    first: number,
    ts: Float64Array,
    streams: readonly LogStream[],
    lines: readonly string[],
    partial: readonly boolean[] | null = null,
  ) {
    this.first = first;
    this.ts = ts;
    this.streams = streams;
    this.lines = lines;
    this.partial = partial;
  }

  /** No lines (shared, so frozen: nobody numbers it). */
  static readonly EMPTY: LogBatch = new LogBatch(0, new Float64Array(0), [], []);
  static {
    Object.freeze(LogBatch.EMPTY);
  }

  /**
   * The batch of `lines` (a store's page, another process's notice), or null
   * when their `seq`s do not follow one another or a line is malformed.
   */
  static of(lines: readonly LogLine[]): LogBatch | null {
    const n = lines.length;
    if (n === 0) return LogBatch.EMPTY;
    const first = lines[0]?.seq;
    if (typeof first !== "number") return null;
    const ts = new Float64Array(n);
    const streams = new Array<LogStream>(n);
    const texts = new Array<string>(n);
    let partial: boolean[] | null = null;
    for (let i = 0; i < n; i++) {
      const line = lines[i];
      if (line?.seq !== first + i || typeof line.line !== "string") return null;
      ts[i] = line.ts;
      streams[i] = line.stream;
      texts[i] = line.line;
      if (line.partial === true) {
        (partial ??= new Array<boolean>(n).fill(false))[i] = true;
      }
    }
    return new LogBatch(first, ts, streams, texts, partial);
  }

  /** How many lines. */
  get length(): number {
    return this.lines.length;
  }

  /** The `seq` of the last line (`first - 1` when there is none). */
  get last(): number {
    return this.first + this.lines.length - 1;
  }

  /** The characters of all its lines. */
  get chars(): number {
    if (this.#chars < 0) {
      let chars = 0;
      for (let i = 0; i < this.lines.length; i++) chars += this.lines[i].length;
      this.#chars = chars;
    }
    return this.#chars;
  }

  /** Whether line `i` is a piece of a longer one. */
  isPartial(i: number): boolean {
    return this.partial?.[i] === true;
  }

  /** The lines from `seq` on (none before it), at most `limit`: this batch when that is all of it. */
  from(seq: number, limit = Infinity): LogBatch {
    const start = Math.max(0, seq - this.first);
    const end = Math.min(this.lines.length, start + limit);
    if (start === 0 && end === this.lines.length) return this;
    if (start >= end) return LogBatch.EMPTY;
    return new LogBatch(
      this.first + start,
      this.ts.slice(start, end),
      this.streams.slice(start, end),
      this.lines.slice(start, end),
      this.partial?.slice(start, end) ?? null,
    );
  }

  /** Line `i` as an object, as a reader sees it. */
  line(i: number): LogLine {
    const line: LogLine = {
      seq: this.first + i,
      ts: this.ts[i],
      stream: this.streams[i],
      line: this.lines[i],
    };
    if (this.isPartial(i)) line.partial = true;
    return line;
  }

  /** The lines as objects: what JSON makes of a batch (a notice to other processes). */
  toJSON(): LogLine[] {
    return Array.from({ length: this.lines.length }, (_, i) => this.line(i));
  }

  /** The store's chunk of these lines (`seq` is the store's): the columns as they are. */
  chunk(): string {
    if (this.lines.length > 1 && this.partial === null) {
      return encodeColumns(["ts", "stream", "line"], [
        this.ts,
        this.streams as unknown[],
        this.lines as unknown[],
      ]);
    }
    // Pieces of long lines have a key the others lack: an array of objects, as any mix is kept.
    return JSON.stringify(this.toJSON().map(({ seq: _, ...line }) => line));
  }
}
