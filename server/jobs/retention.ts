/**
 * Retention: final jobs (and their logs) are removed once past their keep
 * age, or beyond the newest `count` of their status, so that a store under a
 * steady stream of jobs stays the same size. A sweeper pass removes at most
 * a batch per store call and a few batches per pass, so that it never holds
 * the store (or the event loop) for long; a backlog is worked off over the
 * next passes. A job's own `keep` overrides the config's: its age is kept
 * by the store with the job; its count trims its status when it ends
 * (`job_consumer.ts`).
 *
 * @module
 */

import type { JobSpec, JobStatus } from "../../shared/types.generated.ts";
import { FINAL_STATUSES, type Store } from "../store/store.ts";
import { Periodic } from "../util/periodic.ts";
import { getLog } from "../logging/mod.ts";

const log = getLog("jobs");

/** Jobs removed per store call. */
export const SWEEP_BATCH = 500;
/** Store calls per pass, at most. */
const BATCHES_PER_PASS = 20;

/** Settings of the {@linkcode Retention} sweeper. */
export interface RetentionOptions {
  keep: NonNullable<JobSpec["keep"]>;
  intervalMs?: number;
  now?: () => number;
}

/** Removes final jobs past their keep rules, every `intervalMs`. */
export class Retention {
  readonly #store: Store;
  readonly #o: RetentionOptions;
  readonly #loop: Periodic;

  constructor(store: Store, options: RetentionOptions) {
    this.#store = store;
    this.#o = options;
    this.#loop = new Periodic(options.intervalMs ?? 500, () => this.sweep(), (error) => {
      log.warn(`retention: ${(error as Error)?.message ?? error}`);
    });
  }

  start(): void {
    this.#loop.start();
  }

  /** One pass (public so that tests and benches drive it); returns how many jobs went. */
  async sweep(): Promise<number> {
    const now = this.#o.now?.() ?? Date.now();
    const { completed, failed } = this.#o.keep;
    const ages = {
      ...(completed?.age !== undefined ? { completed: completed.age * 1000 } : {}),
      ...(failed?.age !== undefined ? { failed: failed.age * 1000 } : {}),
    };
    let removed = 0;
    for (let i = 0; i < BATCHES_PER_PASS; i++) {
      const n = await this.#store.sweepExpired(now, ages, SWEEP_BATCH);
      removed += n;
      if (n < SWEEP_BATCH) break;
    }
    for (const status of FINAL_STATUSES) {
      const count = status === "completed" ? completed?.count : failed?.count;
      if (count === undefined) continue;
      for (let i = 0; i < BATCHES_PER_PASS; i++) {
        const n = await this.#store.trimStatus(status as JobStatus, count, SWEEP_BATCH);
        removed += n;
        if (n < SWEEP_BATCH) break;
      }
    }
    return removed;
  }

  /** Stops sweeping and waits for the current pass. */
  stop(): Promise<void> {
    return this.#loop.stop();
  }
}
