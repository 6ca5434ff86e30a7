/**
 * The reaper: the supervisor's safety net under the runners.
 *
 * Every tick it moves retrying jobs whose time came back into their queues,
 * settles running jobs whose runner stopped renewing their lease (retried or
 * failed per `retries`), and marks `timeout` the running jobs that outlived
 * their timeout plus a grace even if their runner vanished. No job stays
 * `running` forever. Several supervisors may reap the same store: every
 * change is a compare-and-set, so each job is settled once.
 *
 * After the store was out of reach (Redis restarted, a partition), no
 * runner could renew its leases meanwhile: the leases that ran out then are
 * left alone for one lease more, so that their runners, alive, renew them
 * (and record what they finished) before any reaper takes their jobs away.
 *
 * @module
 */

import type { EventLog } from "../events/event_log.ts";
import { isFinal, type JobRecord, type Store, StoreUnavailableError } from "../store/store.ts";
import { type Outcome, outcomeTransition, type RetryPolicy } from "./job_rules.ts";
import { Periodic } from "../util/periodic.ts";

/** Settings of the {@linkcode Reaper}. */
export interface ReaperOptions {
  intervalMs: number;
  retry: RetryPolicy;
  now?: () => number;
  /** A job went back to its queue (a local runner may take it). */
  onQueued?: (runner: string) => void;
  /**
   * How long leases are left alone after the store is back (a pass failed
   * for it being out of reach, or `notices.resumed` came): a lease's length,
   * within which a live runner renews its own.
   */
  leaseMs?: number;
  /** Also re-examine jobs waiting for prerequisites, every this many ticks. */
  sweepEvery?: number;
  sweepWaiting?: () => Promise<void>;
}

/** Settles jobs whose runner is gone or overdue. */
export class Reaper {
  readonly #store: Store;
  readonly #events: EventLog;
  readonly #o: ReaperOptions;
  readonly #now: () => number;
  readonly #loop: Periodic;
  readonly #unsubscribe: () => void;
  #ticks = 0;
  /** Leases are not reaped before this time (the store just came back). */
  #leasesHeldUntil = 0;
  /** A pass found the store out of reach: the next one that reaches it holds the leases. */
  #unreachable = false;

  constructor(store: Store, events: EventLog, options: ReaperOptions) {
    this.#store = store;
    this.#events = events;
    this.#o = options;
    this.#now = options.now ?? Date.now;
    // A failed pass (the store down, say) is tried again at the next one.
    this.#loop = new Periodic(options.intervalMs, () => this.tick());
    this.#unsubscribe = store.notices.subscribe((notice) => {
      if (notice.type === "notices.resumed") this.#holdLeases();
    });
  }

  #holdLeases(): void {
    if (this.#o.leaseMs) this.#leasesHeldUntil = this.#now() + this.#o.leaseMs;
  }

  /** Starts ticking. */
  start(): void {
    this.#loop.start();
  }

  /** One pass. Public so that tests can drive it with a controlled clock. */
  async tick(): Promise<void> {
    try {
      await this.#pass();
    } catch (error) {
      if (error instanceof StoreUnavailableError) this.#unreachable = true;
      throw error;
    }
  }

  async #pass(): Promise<void> {
    const now = this.#now();
    // Scheduled jobs whose time came (and delayed retries) are queued: wake their runners here.
    for (const runner of await this.#store.promoteDelayed(now)) this.#o.onQueued?.(runner);
    // The store is back (this pass reached it): nobody could renew a lease meanwhile.
    if (this.#unreachable) {
      this.#unreachable = false;
      this.#holdLeases();
    }
    const leases = now < this.#leasesHeldUntil ? [] : await this.#store.expiredLeases(now, 200);
    for (const job of leases) {
      await this.#settle(job, {
        kind: "lost",
        message: `the runner holding the job stopped renewing its lease (${
          job.worker ?? "unknown"
        })`,
      }, now);
    }
    for (const job of await this.#store.overdueJobs(now, 200)) {
      await this.#settle(job, {
        kind: "timeout",
        message: `timed out after ${job.timeout} s (its runner did not report in time)`,
      }, now);
    }
    if (
      this.#o.sweepWaiting && ++this.#ticks % (this.#o.sweepEvery ?? 10) === 0
    ) {
      await this.#o.sweepWaiting();
    }
  }

  /**
   * Settles the jobs of runners known to be dead at once, without waiting for
   * their leases: with the embedded store, every running job at start-up
   * belonged to the previous (dead) process.
   */
  async recoverOrphans(): Promise<number> {
    const now = this.#now();
    let count = 0;
    for (
      let page;
      (page = await this.#store.expiredLeases(Number.MAX_SAFE_INTEGER, 200))
        .length;
    ) {
      for (const job of page) {
        await this.#settle(
          job,
          {
            kind: "lost",
            message: "the supervisor stopped while the job ran",
          },
          Number.MAX_SAFE_INTEGER,
          now,
        );
        count++;
      }
    }
    return count;
  }

  async #settle(
    job: JobRecord,
    outcome: Extract<Outcome, { message: string }>,
    leaseBy: number,
    now = leaseBy,
  ): Promise<void> {
    const change = outcomeTransition(
      job,
      outcome,
      now,
      this.#o.retry,
      job.worker,
    );
    if (outcome.kind === "lost") change.leaseExpiredBy = leaseBy;
    const result = await this.#store.transition(job.id, change);
    if (!result.ok) return; // renewed or settled meanwhile
    // A runner that is slow rather than dead must still kill what it runs.
    await this.#store.notices.publish({
      type: "job.stop",
      id: job.id,
      reason: outcome.message,
    });
    if (isFinal(result.job.status)) {
      this.#events.emit({
        type: "job.finished",
        subject: job.id,
        data: {
          status: result.job.status,
          runner: job.runner,
          reason: outcome.message,
        },
      });
    } else {
      this.#events.emit({
        type: "job.queued",
        subject: job.id,
        data: { runner: job.runner, retry: true, reason: outcome.message },
      });
      this.#o.onQueued?.(job.runner);
    }
  }

  /** Stops ticking and waits for the current pass. */
  stop(): Promise<void> {
    this.#unsubscribe();
    return this.#loop.stop();
  }
}
