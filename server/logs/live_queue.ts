/**
 * The live lines one log reader has not been sent yet, bounded by memory.
 *
 * A reader slower than its job lets lines pile up here. The bound is in
 * bytes, not lines: a count of lines would let a job printing long lines
 * hold hundreds of MiB per stalled reader, and would give a reader of short
 * lines less slack than memory allows. Past the bound the queue empties
 * itself, and the reader catches up from the store (see
 * `server/http/job_logs_stream.ts`).
 *
 * @module
 */

import type { LogLine } from "../../shared/types.generated.ts";

/** What a queued reader may hold by default: about 120 000 short lines. */
export const LIVE_QUEUE_BYTES = 8 << 20;
/** A line's cost beyond its text: the object, its fields and the reference to it. */
const LINE_OVERHEAD = 64;

/** The cost a queue counts for one line. */
function lineCost(line: LogLine): number {
  return LINE_OVERHEAD + line.line.length;
}

/** A reader's own queue of live lines. */
export class LiveQueue {
  readonly #maxBytes: number;
  #lines: LogLine[] = [];
  #bytes = 0;

  constructor(maxBytes: number = LIVE_QUEUE_BYTES) {
    this.#maxBytes = maxBytes;
  }

  /** Adds announced lines; past the bound, everything held is let go. */
  push(lines: readonly LogLine[]): void {
    let cost = 0;
    for (const line of lines) cost += lineCost(line);
    if (this.#bytes + cost > this.#maxBytes) {
      this.#lines = [];
      this.#bytes = 0;
      return;
    }
    for (const line of lines) this.#lines.push(line);
    this.#bytes += cost;
  }

  /**
   * Takes every queued line if they continue exactly after `cursor` (lines
   * at or before it are dropped first); null, keeping the rest, if the queue
   * is empty or starts later (the reader must catch up from the store).
   */
  takeAfter(cursor: number): LogLine[] | null {
    let start = 0;
    while (start < this.#lines.length && this.#lines[start].seq <= cursor) {
      this.#bytes -= lineCost(this.#lines[start++]);
    }
    if (start) this.#lines = this.#lines.slice(start);
    if (this.#lines.length === 0 || this.#lines[0].seq !== cursor + 1) {
      return null;
    }
    const lines = this.#lines;
    this.#lines = [];
    this.#bytes = 0;
    return lines;
  }
}
