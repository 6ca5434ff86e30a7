/**
 * Waiting for jobs to become final, woken by `job.final` notices (and by
 * a look at the store when notices may have been missed).
 *
 * @module
 */

import type { JobResult } from "../../shared/types.generated.ts";
import { isFinal, type Store } from "../store/store.ts";
import { jobResult } from "./job_rules.ts";

type Wake = (result?: JobResult) => void;

/** Lets callers wait until a job is announced final. */
export class FinalWaiters {
  readonly #waiters = new Map<string, Set<Wake>>();
  readonly #store: Store;
  readonly #unsubscribe: () => void;

  constructor(store: Store) {
    this.#store = store;
    this.#unsubscribe = store.notices.subscribe((notice) => {
      if (notice.type === "notices.resumed") {
        this.#lookAgain().catch(() => {
          // The store is gone again: the next resumption looks again.
        });
        return;
      }
      if (notice.type !== "job.final") return;
      this.#wakeAll(notice.id, notice.result);
    });
  }

  #wakeAll(jobId: string, result?: JobResult): void {
    const set = this.#waiters.get(jobId);
    if (!set) return;
    this.#waiters.delete(jobId);
    for (const wake of set) wake(result);
  }

  /** Notices may have been missed: wakes the waiters of every job that is final by now. */
  async #lookAgain(): Promise<void> {
    const ids = [...this.#waiters.keys()];
    for (let i = 0; i < ids.length; i += 1000) {
      const chunk = ids.slice(i, i + 1000);
      const jobs = await this.#store.getJobs(chunk);
      jobs.forEach((job, j) => {
        if (job && isFinal(job.status)) this.#wakeAll(chunk[j], jobResult(job));
      });
    }
  }

  /**
   * Returns a promise that resolves when `jobId` is announced final (with its
   * result, when the notice carries it), or after `timeoutMs` (never when
   * it is `Infinity`), or when `signal` aborts. Register before checking the
   * job's status, so that a notice between the check and the wait is not
   * missed.
   */
  wait(
    jobId: string,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<JobResult | undefined> {
    return new Promise((resolve) => {
      let set = this.#waiters.get(jobId);
      if (!set) this.#waiters.set(jobId, set = new Set());
      const done: Wake = (result) => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        const current = this.#waiters.get(jobId);
        current?.delete(done);
        if (current?.size === 0) this.#waiters.delete(jobId);
        resolve(result);
      };
      const timer = Number.isFinite(timeoutMs) ? setTimeout(() => done(), timeoutMs) : undefined;
      const onAbort = () => done();
      signal?.addEventListener("abort", onAbort, { once: true });
      set.add(done);
    });
  }

  /** Stops listening and releases every waiter. */
  close(): void {
    this.#unsubscribe();
    for (const set of this.#waiters.values()) {
      for (const wake of [...set]) wake();
    }
    this.#waiters.clear();
  }
}
