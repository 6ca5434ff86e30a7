/**
 * Waiting for jobs to become final, woken by `job.final` notices.
 *
 * @module
 */

import type { JobResult } from "../../shared/types.generated.ts";
import type { Store } from "../store/store.ts";

type Wake = (result?: JobResult) => void;

/** Lets callers wait until a job is announced final. */
export class FinalWaiters {
  readonly #waiters = new Map<string, Set<Wake>>();
  readonly #unsubscribe: () => void;

  constructor(store: Store) {
    this.#unsubscribe = store.notices.subscribe((notice) => {
      if (notice.type !== "job.final") return;
      const set = this.#waiters.get(notice.id);
      if (!set) return;
      this.#waiters.delete(notice.id);
      for (const wake of set) wake(notice.result);
    });
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
