/**
 * Many deadlines on one timer.
 *
 * Every job that runs, and every `job.run` that waits, has a deadline that
 * almost never comes: the job ends first. A timer each costs more than a
 * quick job itself, so deadlines are kept in a binary heap and one timer is
 * set for the earliest. Adding and cancelling are O(log n).
 *
 * @module
 */

import { getLog } from "../logging/mod.ts";
import type { Timer } from "./timer.ts";

const log = getLog("supervisor");

interface Entry {
  at: number;
  fire: () => void;
  /** Its place in the heap; -1 once it fired or was cancelled. */
  index: number;
}

/** Calls each callback at its time (ms since epoch, `Date.now()`), unless cancelled first. */
export class Deadlines {
  readonly #heap: Entry[] = [];
  #timer: Timer | undefined;
  #timerAt = Infinity;

  /** Calls `fire` at `at`; returns the function that cancels it (a no-op once it fired). */
  add(at: number, fire: () => void): () => void {
    const entry: Entry = { at, fire, index: this.#heap.length };
    this.#heap.push(entry);
    this.#up(entry.index);
    this.#arm();
    return () => this.#remove(entry);
  }

  /** Cancels every pending deadline (and the timer: call it when done with these deadlines). */
  clear(): void {
    for (const entry of this.#heap) entry.index = -1;
    this.#heap.length = 0;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Infinity;
  }

  #remove(entry: Entry): void {
    const i = entry.index;
    if (i < 0) return;
    entry.index = -1;
    const last = this.#heap.pop()!;
    if (last !== entry) {
      this.#heap[i] = last;
      last.index = i;
      this.#down(i);
      this.#up(last.index);
    }
    // The timer stays set for a deadline that went away: it fires early, finds nothing due,
    // and sets itself for the next one. Re-arming on every cancel would cost a timer per job.
  }

  /** Sets the timer for the earliest deadline, if it is not set for it or earlier. */
  #arm(): void {
    const next = this.#heap[0]?.at ?? Infinity;
    if (next >= this.#timerAt || next === Infinity) return;
    clearTimeout(this.#timer);
    this.#timerAt = next;
    this.#timer = setTimeout(
      () => this.#onTimer(),
      Math.max(0, next - Date.now()),
    );
  }

  #onTimer(): void {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    const now = Date.now();
    while (this.#heap.length && this.#heap[0].at <= now) {
      const entry = this.#heap[0];
      this.#remove(entry);
      try {
        entry.fire();
      } catch (error) {
        log.error(
          `a deadline callback failed: ${(error as Error)?.message ?? error}`,
          { error },
        );
      }
    }
    this.#arm();
  }

  #up(i: number): void {
    const heap = this.#heap;
    const entry = heap[i];
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent].at <= entry.at) break;
      heap[i] = heap[parent];
      heap[i].index = i;
      i = parent;
    }
    heap[i] = entry;
    entry.index = i;
  }

  #down(i: number): void {
    const heap = this.#heap;
    const entry = heap[i];
    const n = heap.length;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && heap[child + 1].at < heap[child].at) child++;
      if (heap[child].at >= entry.at) break;
      heap[i] = heap[child];
      heap[i].index = i;
      i = child;
    }
    heap[i] = entry;
    entry.index = i;
  }
}
