/**
 * A rolling time series of the jobs that ended here: per 10-second bucket,
 * how many ended in each final status and their run-time percentiles. It is
 * what `get_stats` and the dashboard's charts show.
 *
 * @module
 */

import type { StatsBucket } from "../../shared/types.generated.ts";

/** The final statuses a bucket counts. */
export type FinalStatus = "completed" | "failed" | "stopped" | "timeout";

interface Bucket {
  counts: Record<FinalStatus, number>;
  /** A uniform sample of run times, ms (reservoir sampling past `maxSamples`). */
  samples: number[];
  seen: number;
}

/** How a {@linkcode JobStats} is set up. */
export interface JobStatsOptions {
  /** Bucket width, ms (default 10 000). */
  bucketMs?: number;
  /** How far back buckets are kept, minutes (default 60). */
  keepMinutes?: number;
  /** Run times kept per bucket for percentiles (default 1024). */
  maxSamples?: number;
  /** The clock (tests pass a fake one). */
  now?: () => number;
}

/** The nearest-rank percentile of sorted values. */
function percentile(sorted: number[], p: number): number {
  return sorted[
    Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))
  ];
}

/** Jobs that ended, bucketed by time. */
export class JobStats {
  readonly bucketMs: number;
  readonly #keepMs: number;
  readonly #maxSamples: number;
  readonly #now: () => number;
  readonly #buckets = new Map<number, Bucket>();

  constructor(options: JobStatsOptions = {}) {
    this.bucketMs = options.bucketMs ?? 10_000;
    this.#keepMs = (options.keepMinutes ?? 60) * 60_000;
    this.#maxSamples = options.maxSamples ?? 1024;
    this.#now = options.now ?? Date.now;
  }

  /** The time by this series' clock. */
  now(): number {
    return this.#now();
  }

  /** A job ended in `status` after running `runMs`. */
  record(status: FinalStatus, runMs: number): void {
    const now = this.#now();
    const start = now - (now % this.bucketMs);
    let bucket = this.#buckets.get(start);
    if (!bucket) {
      bucket = {
        counts: { completed: 0, failed: 0, stopped: 0, timeout: 0 },
        samples: [],
        seen: 0,
      };
      this.#buckets.set(start, bucket);
      this.#prune(now);
    }
    bucket.counts[status]++;
    bucket.seen++;
    if (bucket.samples.length < this.#maxSamples) bucket.samples.push(runMs);
    else {
      const slot = Math.floor(Math.random() * bucket.seen);
      if (slot < this.#maxSamples) bucket.samples[slot] = runMs;
    }
  }

  /** Every bucket of the last `minutes`, oldest first, empty ones included. */
  buckets(minutes: number): StatsBucket[] {
    const now = this.#now();
    const last = now - (now % this.bucketMs);
    const count = Math.ceil((minutes * 60_000) / this.bucketMs);
    const out: StatsBucket[] = [];
    for (
      let start = last - (count - 1) * this.bucketMs;
      start <= last;
      start += this.bucketMs
    ) {
      const bucket = this.#buckets.get(start);
      const entry: StatsBucket = {
        start,
        ...(bucket?.counts ??
          { completed: 0, failed: 0, stopped: 0, timeout: 0 }),
      };
      if (bucket?.samples.length) {
        const sorted = bucket.samples.toSorted((a, b) => a - b);
        entry.run_p50_ms = percentile(sorted, 0.5);
        entry.run_p95_ms = percentile(sorted, 0.95);
      }
      out.push(entry);
    }
    return out;
  }

  #prune(now: number): void {
    for (const start of this.#buckets.keys()) {
      if (start < now - this.#keepMs) this.#buckets.delete(start);
    }
  }
}
