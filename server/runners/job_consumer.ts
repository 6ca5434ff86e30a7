/**
 * The runner side of the queue: takes a runner's jobs from the store, runs
 * them on an {@linkcode Executor}, keeps their leases alive, and records how
 * each ended. Used by every local runner and by the remote runner agent.
 *
 * Delivery is at least once: a job is held under a lease renewed every third
 * of its length; a consumer that dies stops renewing, and the reaper of any
 * supervisor then retries or fails the job (`server/jobs/reaper.ts`).
 *
 * @module
 */

import type { EventLog } from "../events/event_log.ts";
import { type Outcome, outcomeTransition, type RetryPolicy } from "../jobs/job_rules.ts";
import { JobLogWriter } from "../logs/job_log_writer.ts";
import {
  finalNotice,
  isFinal,
  type JobRecord,
  jobState,
  type RateLimit,
  type Store,
  StoreUnavailableError,
  type Transition,
  type TransitionResult,
} from "../store/store.ts";
import { Deadlines } from "../util/deadlines.ts";
import { Wakeup } from "../util/wakeup.ts";
import type { Executor } from "./executor.ts";
import type { Timer } from "../util/timer.ts";

/** Settings of a {@linkcode JobConsumer}. */
export interface JobConsumerOptions {
  store: Store;
  runner: string;
  /** Names this consumer as the holder of its jobs' leases. */
  worker: string;
  executor: Executor;
  /** How many jobs may run at once (read on every take, so scaling is live). */
  instances: () => number;
  /** The runner's rate limit: job starts per window, across the store's members. */
  rate?: { max: number; perMs: number };
  events: EventLog;
  leaseMs: number;
  timeoutGraceMs: number;
  /** Log lines kept per job. */
  logLines: number;
  retry: RetryPolicy;
  now?: () => number;
  /** Told when a job starts and when it ends (for health and metrics). */
  onJobEnd?: (
    job: JobRecord,
    outcome: Outcome,
    result: TransitionResult | null,
  ) => void;
  /** Where it says what went wrong that no job record can carry. */
  log?: (message: string) => void;
}

/** A slot reserved for direct dispatch (see {@linkcode JobConsumer.claim}). */
export interface DirectClaim {
  /** The lease holder to store the job with. */
  worker: string;
  leaseMs: number;
  timeoutGraceMs: number;
  /** Runs the job, stored (or on its way to the store) as running under `worker`'s lease. */
  accept(job: JobRecord): void;
  /** Gives the slot back. */
  release(): void;
  /** Ends the accepted job with `outcome` (its record failed to reach the store). */
  abort(jobId: string, outcome: Outcome): void;
}

interface Running {
  job: JobRecord;
  controller: AbortController;
  done: Promise<void>;
}

const POLL_MS = 500;
const MAX_TAKES = 2;

/** Takes and runs one runner's jobs. */
export class JobConsumer {
  readonly #o: JobConsumerOptions;
  readonly #now: () => number;
  readonly #running = new Map<string, Running>();
  /** Jobs whose execution ended and whose outcome is being recorded. */
  readonly #finishing = new Set<Promise<void>>();
  readonly #wakeup = new Wakeup();
  readonly #stop = new AbortController();
  #paused = false;
  #loop: Promise<void> | null = null;
  #watcher: Promise<void> | null = null;
  #renewTimer: Timer | undefined;
  #unsubscribe: (() => void) | null = null;
  /** Jobs whose outcome is being recorded: true once their lease is lost. */
  readonly #recording = new Map<string, boolean>();
  /** Stopped for good. */
  #closed = false;
  /** Takes in flight, and the slots they will fill. */
  #takes = 0;
  #reserved = 0;
  /** The last take came back short: wait for a sign of work before the next. */
  #rateTimer: ReturnType<typeof setTimeout> | undefined;
  #drained = false;
  /** Fired when the queue ran dry (a take came back short). */
  readonly #ranDry = new Wakeup();
  /** Work was announced since the queue ran dry. */
  #workSignaled = false;
  /** A poll is due (in case a sign of work was missed). */
  #pollDue = false;
  /** Wake-ups set for the moments retries become due. */
  readonly #retryTimers = new Set<Timer>();
  /** The running jobs' timeouts, on one timer. */
  readonly #timeouts = new Deadlines();

  constructor(options: JobConsumerOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  /** Jobs running now. */
  get busy(): number {
    return this.#running.size;
  }

  /** The ids of the jobs running now. */
  get jobIds(): string[] {
    return [...this.#running.keys()];
  }

  /** Starts taking jobs. */
  start(): void {
    this.#unsubscribe = this.#o.store.notices.subscribe((notice) => {
      if (notice.type === "job.stop") {
        this.#running.get(notice.id)?.controller.abort(
          {
            kind: "stopped",
            message: notice.reason ?? "stopped",
          } satisfies Outcome,
        );
      }
    });
    this.#renewTimer = setInterval(
      () => this.#renew(),
      Math.max(50, this.#o.leaseMs / 3),
    );
    this.#loop = this.#takeLoop();
    if (this.#o.store.kind === "redis") this.#watcher = this.#watchLoop();
  }

  /** Work was queued for this runner (by this process). */
  wake(): void {
    this.#workSignaled = true;
    this.#wakeup.fire();
  }

  /** Takes no new jobs; running ones go on. */
  pause(): void {
    this.#paused = true;
  }

  /** Takes jobs again. */
  resume(): void {
    this.#paused = false;
    this.wake();
  }

  /** Resolves once the job is not running here any more, or after `timeoutMs`. */
  async released(jobId: string, timeoutMs: number): Promise<void> {
    const running = this.#running.get(jobId);
    if (!running) return;
    let timer: Timer | undefined;
    await Promise.race([
      running.done,
      new Promise((r) => (timer = setTimeout(r, timeoutMs))),
    ]);
    clearTimeout(timer);
  }

  /**
   * Reserves a slot for a job this process is about to store as running here
   * (direct dispatch: no trip through the queue); null when no slot is free.
   * Call `accept` with the stored job, or `release` if storing failed.
   */
  claim(): DirectClaim | null {
    // A rate limit is counted where jobs are taken: none skips the queue.
    if (this.#paused || this.#stop.signal.aborted || this.#o.rate) return null;
    const backlog = Math.max(0, this.#finishing.size - this.#o.instances());
    if (
      this.#o.instances() - this.#running.size - backlog - this.#reserved <= 0
    ) return null;
    this.#reserved++;
    let settled = false;
    const settle = () => {
      if (settled) return false;
      settled = true;
      this.#reserved--;
      return true;
    };
    return {
      worker: this.#o.worker,
      leaseMs: this.#o.leaseMs,
      timeoutGraceMs: this.#o.timeoutGraceMs,
      accept: (job) => settle() && this.#run(job),
      release: () => settle() && this.#wakeup.fire(),
      abort: (jobId, outcome) => this.abort(jobId, outcome),
    };
  }

  /** Ends one running job now, with the given outcome (e.g. `lost` when its process died). */
  abort(jobId: string, outcome: Outcome): void {
    this.#running.get(jobId)?.controller.abort(outcome);
  }

  /**
   * Takes jobs whenever slots are free. Up to two takes overlap, each for up
   * to half the instances, so that the store's round trip does not leave
   * slots idle. After a take came back short
   * (the queue ran dry), the loop waits for a sign of new work (a wake-up from
   * this process, another process's marker, a retry coming due) or the next poll.
   */
  async #takeLoop(): Promise<void> {
    const signal = this.#stop.signal;
    // One timer for the loop's life, not one per wait: a poll in case a sign of work was missed.
    const poll = setInterval(() => {
      this.#pollDue = true;
      this.#wakeup.fire();
    }, POLL_MS);
    try {
      while (!signal.aborted) {
        if (this.#drained) {
          while (!this.#workSignaled && !this.#pollDue && !signal.aborted) {
            await this.#wakeup.wait();
          }
          this.#drained = false;
          this.#workSignaled = false;
          this.#pollDue = false;
          continue;
        }
        // A slot frees when its job's execution ends; recording the outcome goes on meanwhile,
        // up to one more job per instance, so that a slow store holds the line.
        const backlog = Math.max(0, this.#finishing.size - this.#o.instances());
        const free = this.#o.instances() - this.#running.size - backlog -
          this.#reserved;
        if (this.#paused || free <= 0 || this.#takes >= MAX_TAKES) {
          await this.#wakeup.wait();
          continue;
        }
        // Half the instances at most per take, so that two takes overlap: the store prepares
        // one batch while this process runs the other.
        const want = Math.min(free, Math.ceil(this.#o.instances() / MAX_TAKES));
        this.#takes++;
        this.#reserved += want;
        this.#take(want).finally(() => {
          this.#takes--;
          this.#reserved -= want;
          this.#wakeup.fire();
        });
      }
    } finally {
      clearInterval(poll);
    }
    while (this.#takes > 0) await new Promise((r) => setTimeout(r, 5));
  }

  async #take(max: number): Promise<void> {
    try {
      const now = this.#now();
      const rate: RateLimit | undefined = this.#o.rate ? { ...this.#o.rate } : undefined;
      const jobs = await this.#o.store.takeJobs(
        this.#o.runner,
        max,
        this.#o.worker,
        now,
        now + this.#o.leaseMs,
        this.#o.timeoutGraceMs,
        rate,
      );
      if (jobs.length < max) this.#ranDryNow();
      if (rate?.limitedUntil !== undefined) this.#wakeForWindow(rate.limitedUntil - now);
      for (const job of jobs) this.#run(job);
    } catch (error) {
      if (!(error instanceof StoreUnavailableError)) {
        this.#o.log?.(
          `taking jobs failed: ${(error as Error)?.message ?? error}`,
        );
      }
      this.#ranDryNow();
    }
  }

  /** The queue ran dry: the next take waits for a sign of work, and so does the watch loop. */
  #ranDryNow(): void {
    this.#drained = true;
    this.#ranDry.fire();
  }

  /**
   * Wakes the loop when another process queues work (Redis marker, BZPOPMIN),
   * once the queue ran dry here: until then the take loop goes on without a
   * sign, and the marker a take sets when it leaves jobs behind (for other
   * takers) would wake this one for nothing, a round trip every other job
   * (measured). A marker set meanwhile is found at the next wait.
   */
  async #watchLoop(): Promise<void> {
    const signal = this.#stop.signal;
    while (!signal.aborted) {
      if (!this.#drained) {
        await this.#ranDry.wait(Infinity, signal);
        continue;
      }
      try {
        await this.#o.store.waitForWork(this.#o.runner, 1000, signal);
        this.wake();
      } catch {
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }

  #run(job: JobRecord): void {
    const controller = new AbortController();
    this.#o.events.emit({
      type: "job.started",
      subject: job.id,
      data: {
        runner: job.runner,
        attempt: job.attempts,
        worker: this.#o.worker,
      },
    });
    let executed!: () => void;
    const done = new Promise<void>((resolve) => (executed = resolve));
    const timeoutS = job.timeout ?? 60;
    const cancelTimeout = this.#timeouts.add(
      Date.now() + timeoutS * 1000,
      () =>
        controller.abort({
          kind: "timeout",
          message: `timed out after ${timeoutS} s`,
        }),
    );
    this.#running.set(job.id, { job, controller, done });
    const finishing: Promise<void> = this.#execute(job, controller, () => {
      cancelTimeout();
      this.#running.delete(job.id);
      executed();
      this.#wakeup.fire();
    }).finally(() => {
      this.#finishing.delete(finishing);
      this.#wakeup.fire();
    });
    this.#finishing.add(finishing);
  }

  /** What a job's prerequisites returned (they all completed, or it would not run). */
  async #depResults(ids: readonly string[]): Promise<Record<string, unknown>> {
    const jobs = await this.#o.store.getJobs(ids);
    const deps: Record<string, unknown> = {};
    ids.forEach((id, i) => (deps[id] = jobs[i]?.result ?? null));
    return deps;
  }

  /** Runs a job, calls `executed` when its execution ended, then records its outcome. */
  async #execute(
    job: JobRecord,
    controller: AbortController,
    executed: () => void,
  ): Promise<void> {
    const log = new JobLogWriter(this.#o.store, job.id, {
      keep: this.#o.logLines,
    });
    let outcome: Outcome;
    try {
      outcome = await this.#o.executor.execute({
        job,
        log,
        signal: controller.signal,
        ...(job.depends_on?.length ? { deps: await this.#depResults(job.depends_on) } : {}),
      });
    } catch (error) {
      outcome = {
        kind: "error",
        message: (error as Error)?.message ?? String(error),
      };
    }
    // An abort decides the outcome: the executor only saw its process end.
    if (controller.signal.aborted) {
      outcome = controller.signal.reason as Outcome;
    }
    executed();
    await log.close();
    const result = await this.#record(job, outcome);
    this.#o.onJobEnd?.(job, outcome, result);
  }

  /**
   * Records an outcome, retrying while the store is unreachable. The job's
   * lease is renewed meanwhile; once it is lost (the store settled the job
   * otherwise), or the consumer stops, the outcome is given up: the reaper
   * settles the job.
   */
  async #record(
    job: JobRecord,
    outcome: Outcome,
  ): Promise<TransitionResult | null> {
    const change = outcomeTransition(
      job,
      outcome,
      this.#now(),
      this.#o.retry,
      this.#o.worker,
    );
    this.#recording.set(job.id, false);
    try {
      return await this.#tryRecord(job, outcome, change);
    } finally {
      this.#recording.delete(job.id);
    }
  }

  async #tryRecord(
    job: JobRecord,
    outcome: Outcome,
    change: ReturnType<typeof outcomeTransition>,
  ): Promise<TransitionResult | null> {
    for (let attempt = 0;; attempt++) {
      try {
        let result = await this.#o.store.transition(job.id, change);
        if (!result.ok && attempt > 0) result = await this.#madeBefore(job.id, change) ?? result;
        if (result.ok) {
          if (isFinal(result.job.status)) {
            this.#o.events.emit({
              type: "job.finished",
              subject: job.id,
              data: { status: result.job.status, runner: job.runner },
            });
            // Its own `keep.*.count` (BullMQ's removeOnComplete: N): its status trimmed now.
            const count = result.job.status === "completed"
              ? job.keep?.completed?.count
              : job.keep?.failed?.count;
            if (count !== undefined) {
              this.#o.store.trimStatus(result.job.status, count, 1000).catch(() => {
                // The sweeper's count (if any) catches up; nothing is lost by keeping more.
              });
            }
          } else if (result.job.status === "queued") {
            const runAfter = result.job.run_after;
            this.#o.events.emit({
              type: "job.queued",
              subject: job.id,
              data: {
                runner: job.runner,
                retry: outcome.kind !== "interrupted",
                // When it may run again, and the backoff that chose it.
                ...(runAfter ? { run_after: runAfter, delay_ms: runAfter - change.now } : {}),
              },
            });
            this.#wakeAt(result.job.run_after ?? 0);
          }
        }
        return result;
      } catch (error) {
        if (!(error instanceof StoreUnavailableError)) {
          return await this.#recordFailure(job, outcome, error);
        }
        await new Promise((r) => setTimeout(r, Math.min(100 * 2 ** attempt, 1000)));
        if (this.#recording.get(job.id) || this.#closed) return null;
      }
    }
  }

  /**
   * A retried outcome refused: the try before may have been carried out, its
   * answer lost with the connection (Redis killed right after the write). It
   * was if the job ended as that try would have, at its time (`finished_at`
   * is the change's own `now`): then the change counts as made here, and
   * this process hears the job's end it did not hear then (a `job.run`
   * waits for it; the job's dependants wait for that). Only a final change
   * is looked for: its `finished_at` tells it from any other; a job queued
   * again whose change was refused is found by the take loop's poll anyway.
   */
  async #madeBefore(id: string, change: Transition): Promise<TransitionResult | null> {
    if (!isFinal(change.to) || change.set?.finished_at !== change.now) return null;
    const job = await this.#o.store.getJob(id, { result: false, payload: false });
    if (job?.status !== change.to || job.finished_at !== change.now) return null;
    this.#o.store.notices.deliver(finalNotice(id, change));
    return { ok: true, job: jobState(job) };
  }

  /**
   * The store refused an outcome (not for being unreachable): says so, and
   * fails the job with why, so that it does not stay running until its
   * lease runs out.
   */
  async #recordFailure(
    job: JobRecord,
    outcome: Outcome,
    error: unknown,
  ): Promise<TransitionResult | null> {
    const why = (error as Error)?.message ?? String(error);
    this.#o.log?.(
      `job ${job.id}: its outcome (${outcome.kind}) could not be stored: ${why}`,
    );
    if (outcome.kind !== "success" && outcome.kind !== "error") return null;
    const now = this.#now();
    try {
      const result = await this.#o.store.transition(job.id, {
        from: ["running"],
        to: "failed",
        worker: this.#o.worker,
        now,
        set: {
          error: `the job's outcome could not be stored: ${why}`,
          finished_at: now,
        },
      });
      if (result.ok) {
        this.#o.events.emit({
          type: "job.finished",
          subject: job.id,
          data: { status: result.job.status, runner: job.runner },
        });
      }
      return result;
    } catch (again) {
      this.#o.log?.(
        `job ${job.id}: not even its failure could be stored: ${(again as Error).message}`,
      );
      return null;
    }
  }

  /** Wakes the take loop when a retry's delay is over. */
  #wakeAt(time: number): void {
    const delay = time - this.#now();
    if (delay <= 0) return this.wake();
    const timer = setTimeout(() => {
      this.#retryTimers.delete(timer);
      this.wake();
    }, delay + 1);
    this.#retryTimers.add(timer);
  }

  async #renew(): Promise<void> {
    // Jobs being recorded keep their lease too: an outage must not cost them their outcome.
    const ids = [...this.jobIds, ...this.#recording.keys()];
    if (ids.length === 0) return;
    try {
      const lost = await this.#o.store.renewLeases(
        this.#o.worker,
        ids,
        this.#now() + this.#o.leaseMs,
      );
      for (const id of lost) {
        this.abort(id, {
          kind: "lost",
          message: "the runner lost its lease on the job",
        });
        if (this.#recording.has(id)) this.#recording.set(id, true);
      }
    } catch {
      // The store is unreachable: try again next time, before the lease runs out.
    }
  }

  /**
   * Stops taking jobs; lets running ones finish for up to `graceMs`, then
   * ends the rest and queues them again. Resolves when none runs.
   */
  /** Jobs wait for the next window of the rate limit: one wake-up when it opens. */
  #wakeForWindow(delayMs: number): void {
    if (this.#rateTimer !== undefined) return;
    this.#rateTimer = setTimeout(() => {
      this.#rateTimer = undefined;
      this.#workSignaled = true;
      this.#wakeup.fire();
    }, Math.max(1, delayMs));
  }

  async stop(graceMs: number): Promise<void> {
    clearTimeout(this.#rateTimer);
    this.#rateTimer = undefined;
    this.#stop.abort();
    this.#wakeup.fire();
    await this.#loop;
    await this.#watcher;
    const all = () => Promise.all([...this.#running.values()].map((r) => r.done));
    const recorded = () => Promise.all([...this.#finishing]);
    if (graceMs > 0 && this.#running.size) {
      let timer: Timer | undefined;
      await Promise.race([
        all(),
        new Promise((r) => (timer = setTimeout(r, graceMs))),
      ]);
      clearTimeout(timer);
    }
    for (const running of this.#running.values()) {
      running.controller.abort({
        kind: "interrupted",
        message: "the runner stopped",
      });
    }
    await all();
    // Outcomes still unrecorded get one more grace; past it, the reaper settles their jobs.
    let timer: Timer | undefined;
    await Promise.race([
      recorded(),
      new Promise((r) => (timer = setTimeout(r, Math.max(graceMs, 2000)))),
    ]);
    clearTimeout(timer);
    this.#closed = true;
    await recorded();
    clearInterval(this.#renewTimer);
    this.#timeouts.clear();
    for (const timer of this.#retryTimers) clearTimeout(timer);
    this.#unsubscribe?.();
  }
}
