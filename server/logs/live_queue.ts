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

import type { LogBatch } from "./log_batch.ts";

/** What a queued reader may hold by default: about 120 000 short lines. */
export const LIVE_QUEUE_BYTES = 8 << 20;
/** A line's cost beyond its text: its slots in the batch's columns and its string's header. */
const LINE_OVERHEAD = 64;

/** The cost a queue counts for a batch. */
function batchCost(batch: LogBatch): number {
  return LINE_OVERHEAD * batch.length + batch.chars;
}

/** A reader's own queue of live lines. */
export class LiveQueue {
  readonly #maxBytes: number;
  #batches: LogBatch[] = [];
  #bytes = 0;

  constructor(maxBytes: number = LIVE_QUEUE_BYTES) {
    this.#maxBytes = maxBytes;
  }

  /** Adds announced lines; past the bound, everything held is let go. */
  push(batch: LogBatch): void {
    const cost = batchCost(batch);
    if (this.#bytes + cost > this.#maxBytes) {
      this.#batches = [];
      this.#bytes = 0;
      return;
    }
    this.#batches.push(batch);
    this.#bytes += cost;
  }

  /**
   * Takes every queued line if they continue exactly after `cursor` (lines
   * at or before it are dropped first); null, keeping the rest, if the queue
   * is empty or starts later (the reader must catch up from the store).
   */
  takeAfter(cursor: number): LogBatch[] | null {
    const batches = this.#batches;
    let start = 0;
    while (start < batches.length && batches[start].last <= cursor) {
      this.#bytes -= batchCost(batches[start++]);
    }
    if (start < batches.length && batches[start].first <= cursor) {
      // Partly sent: the rest of it stays.
      const rest = batches[start].from(cursor + 1);
      this.#bytes += batchCost(rest) - batchCost(batches[start]);
      batches[start] = rest;
    }
    if (start) this.#batches = batches.slice(start);
    if (this.#batches.length === 0 || this.#batches[0].first !== cursor + 1) {
      return null;
    }
    // Those that follow on from it; after a gap (a notice lost on its way from another
    // process) the rest waits, and the reader reads the gap from the store first.
    let end = 1;
    while (
      end < this.#batches.length &&
      this.#batches[end].first === this.#batches[end - 1].last + 1
    ) {
      end++;
    }
    const taken = this.#batches.splice(0, end);
    for (const batch of taken) this.#bytes -= batchCost(batch);
    return taken;
  }
}
