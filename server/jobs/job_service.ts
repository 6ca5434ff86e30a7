/**
 * The job API's logic: what `jobs.*` and `job.*` do, over the store.
 *
 * It enforces the transitions of `job_rules.ts`, resolves `depends_on`
 * (a job is queued only once every prerequisite completed; it fails, naming
 * the prerequisite, once one cannot complete), and waits for results and log
 * lines without polling, woken by notices.
 *
 * @module
 */

import type {
  Job,
  JobResult,
  JobSpec,
  JobStatus,
  JobStatusInfo,
  LogLine,
  LogPage,
  RunnerConfig,
} from "../../shared/types.generated.ts";
import type { EventLog } from "../events/event_log.ts";
import type { DirectClaim } from "../runners/job_consumer.ts";
import type { LogHub } from "../logs/log_hub.ts";
import { conflict, invalidParams, notFound, waitTimeout } from "../rpc/rpc_error.ts";
import {
  DuplicateJobError,
  isFinal,
  type JobQuery,
  type JobRead,
  type JobRecord,
  type JobState,
  logKey,
  type Store,
  type Transition,
} from "../store/store.ts";
import { Deadlines } from "../util/deadlines.ts";
import { getLog } from "../logging/mod.ts";
import { FinalWaiters } from "./final_waiters.ts";
import { newJobId } from "./job_id.ts";
import { DELETABLE, jobResult, STARTABLE, STOPPABLE } from "./job_rules.ts";

const log = getLog("jobs");

/** Reads of a job's state only: its result and payload, megabytes perhaps, stay in the store. */
const STATE_READ: JobRead = { result: false, payload: false };

/** What the job service needs to know about runners. */
export interface RunnerDirectory {
  /** A runner's configuration, if it exists (locally, registered, or served by agents). */
  config(name: string): Promise<RunnerConfig | null>;
  /** Whether some live instance of the runner can take jobs now. */
  isLive(name: string): Promise<boolean>;
  /** Tells this process's consumers of the runner that work is queued. */
  wake(name: string): void;
  /**
   * A free slot of a local consumer of the runner, for a job to be stored
   * directly as running there (no trip through the queue); null if none.
   */
  claim(name: string): DirectClaim | null;
  /** Resolves once no local runner executes the job any more (or after `timeoutMs`). */
  released(jobId: string, timeoutMs: number): Promise<void>;
}

/** Settings of the job service. */
export interface JobServiceOptions {
  /** The clock (ms since epoch); tests may control it. */
  now?: () => number;
  /** Default wait of `job.result`, ms. */
  resultWaitMs?: number;
  /** Added to a job's timeout for the default wait of `job.run`, ms. */
  runWaitGraceMs?: number;
  /** How long `job.stop` waits for a running job's processes to be gone, ms. */
  stopWaitMs?: number;
}

const DEFAULT_TIMEOUT_S = 60;
/** Why a wait for a job's result ended (the reason is not read, only the abort). */
const ENDED = "ended";

/** Internal fields of a job record that the API does not show. */
export function publicJob(record: JobRecord): Job {
  const {
    seq: _seq,
    worker: _w,
    lease_until: _l,
    deadline_at: _d,
    dedup_until: _u,
    ...job
  } = record;
  return job;
}

/** The job API. */
export class JobService {
  readonly #store: Store;
  readonly #runners: RunnerDirectory;
  readonly #hub: LogHub;
  readonly #events: EventLog;
  readonly #waiters: FinalWaiters;
  readonly #now: () => number;
  readonly #resultWaitMs: number;
  readonly #runWaitGraceMs: number;
  readonly #stopWaitMs: number;
  readonly #unsubscribe: () => void;
  /** The waits of `job.run` and `job.result`, on one timer. */
  readonly #deadlines = new Deadlines();

  constructor(
    store: Store,
    runners: RunnerDirectory,
    hub: LogHub,
    events: EventLog,
    options: JobServiceOptions = {},
  ) {
    this.#store = store;
    this.#runners = runners;
    this.#hub = hub;
    this.#events = events;
    this.#waiters = new FinalWaiters(store);
    this.#now = options.now ?? Date.now;
    this.#resultWaitMs = options.resultWaitMs ?? 30_000;
    this.#runWaitGraceMs = options.runWaitGraceMs ?? 10_000;
    this.#stopWaitMs = options.stopWaitMs ?? 10_000;
    // A job that ends may let its dependants move on, wherever it ran.
    this.#unsubscribe = store.notices.subscribe((notice) => {
      if (notice.type === "job.final" && notice.dependants !== false) {
        this.resolveDependants(notice.id).catch((e) =>
          log.warn(`dependants of ${notice.id}: ${(e as Error).message}`)
        );
      }
    });
  }

  /** Stops listening and releases waiters. */
  close(): void {
    this.#unsubscribe();
    this.#waiters.close();
    this.#deadlines.clear();
  }

  /** `read`: as {@linkcode Store.getJob}'s (`{ result: false }` where the result is not used). */
  async #mustGet(id: string, read?: JobRead): Promise<JobRecord> {
    const job = await this.#store.getJob(id, read);
    if (!job) throw notFound(`job ${JSON.stringify(id)}`);
    return job;
  }

  /**
   * Stores a job; with `start`, queues it too (or waits for its prerequisites).
   * `generatedId`: its id is one this service made up (a random UUID).
   */
  /**
   * A new job's record from its spec: its runner checked, its id, timeout,
   * start time (`delay` becomes `run_at`) and deduplication window set.
   * `known`: ids of jobs created along with it (they may be depended on).
   */
  async #record(
    spec: JobSpec,
    start: boolean,
    now: number,
    known: ReadonlySet<string> = new Set(),
    where = "job",
  ): Promise<Omit<JobRecord, "seq">> {
    const runner = await this.#runners.config(spec.runner);
    if (!runner) throw notFound(`runner ${JSON.stringify(spec.runner)}`);
    if (runner.kind === "service") {
      throw invalidParams(
        `${where}.runner: ${JSON.stringify(spec.runner)} is a service: it takes no jobs`,
      );
    }
    if (spec.run_at !== undefined && spec.delay !== undefined) {
      throw invalidParams(`${where}: give run_at or delay, not both`);
    }
    const id = spec.id ?? newJobId();
    const deps = spec.depends_on ?? [];
    if (deps.includes(id)) {
      throw invalidParams(`${where}.depends_on: a job cannot depend on itself`);
    }
    const elsewhere = deps.filter((d) => !known.has(d));
    if (elsewhere.length) {
      const found = await this.#store.getJobs(elsewhere);
      const missing = elsewhere.find((_, i) => !found[i]);
      if (missing) {
        const field = where === "job" ? "depends_on" : `${where}.depends_on`;
        throw notFound(`job ${JSON.stringify(missing)} (in ${field})`);
      }
    }
    const { delay, dedup_window, ...rest } = spec;
    const runAt = delay !== undefined ? now + Math.round(delay * 1000) : spec.run_at;
    const later = runAt !== undefined && runAt > now;
    const queueNow = start && deps.length === 0;
    const record: Omit<JobRecord, "seq"> = {
      ...rest,
      id,
      timeout: spec.timeout ?? runner.timeout ?? DEFAULT_TIMEOUT_S,
      status: queueNow ? (later ? "scheduled" : "queued") : "created",
      created_at: now,
      updated_at: now,
      attempts: 0,
    };
    if (runAt !== undefined) record.run_at = runAt;
    if (record.status === "scheduled") record.run_after = runAt;
    if (spec.dedup_key !== undefined) {
      record.dedup_until = now + Math.round((dedup_window ?? 3600) * 1000);
    }
    return record;
  }

  /**
   * Stores many jobs in one call, all or nothing (`jobs.create_many`): every
   * spec is checked first, then all are stored at once; a duplicate id
   * stores none. They may depend on each other. Returns their ids in order
   * (a deduplicated one: the id of the job holding its key).
   */
  async createMany(specs: readonly JobSpec[], start: boolean): Promise<string[]> {
    const now = this.#now();
    const ids = specs.map((spec) => spec.id).filter((id) => id !== undefined);
    const known = new Set(ids);
    if (known.size !== ids.length) {
      const twice = ids.find((id, i) => ids.indexOf(id) !== i);
      throw invalidParams(`jobs: the id ${JSON.stringify(twice)} is given twice`);
    }
    const records = await Promise.all(
      specs.map((spec, i) => this.#record(spec, start, now, known, `jobs[${i}]`)),
    );
    let stored: JobRecord[];
    try {
      stored = await this.#store.insertJobs(records);
    } catch (error) {
      if (error instanceof DuplicateJobError) {
        throw conflict(`job ${JSON.stringify(error.id)} already exists: no job was created`);
      }
      throw error;
    }
    for (let i = 0; i < stored.length; i++) {
      const job = stored[i];
      if (job.id !== records[i].id) continue; // deduplicated
      if (job.status === "queued") this.#queued(job);
      else if (start && job.status === "created") await this.#advance(job);
    }
    return stored.map((job) => job.id);
  }

  /**
   * Stores a job; with `start`, queues it too (or waits for its prerequisites).
   * `generatedId`: its id is one this service made up (a random UUID).
   */
  async create(
    spec: JobSpec,
    start: boolean,
    generatedId = false,
  ): Promise<JobRecord> {
    const generated = generatedId || spec.id === undefined;
    const now = this.#now();
    let record = await this.#record(spec, start, now);
    const id = record.id;
    const queueNow = record.status === "queued";
    // A local consumer with a free slot takes it at once: stored as running under its lease.
    // Not one that may be deduplicated: the job it duplicates is the one to answer with.
    const claim = queueNow && record.dedup_key === undefined
      ? this.#runners.claim(spec.runner)
      : null;
    if (claim) {
      record = {
        ...record,
        status: "running",
        attempts: 1,
        started_at: now,
        worker: claim.worker,
        lease_until: now + claim.leaseMs,
        deadline_at: now + (record.timeout ?? DEFAULT_TIMEOUT_S) * 1000 + claim.timeoutGraceMs,
      };
    }
    if (claim && generated) {
      // An id of our making cannot be a duplicate: the job starts while its record is on its
      // way, so the store's round trip overlaps the run. The store keeps the record ahead of
      // the job's end, and whoever waits for the end hears it only once both are stored; a
      // record that fails ends the job.
      let inserted: Promise<JobRecord>;
      try {
        inserted = this.#store.insertJob(record);
      } catch (error) {
        claim.release(); // the embedded store throws at once (its store closed, say)
        throw error;
      }
      this.#queued(record);
      claim.accept({ ...record, seq: 0 });
      try {
        return await inserted;
      } catch (error) {
        const why = (error as Error)?.message ?? String(error);
        claim.abort(id, {
          kind: "lost",
          message: `the job was not stored: ${why}`,
        });
        throw error;
      }
    }
    let job: JobRecord;
    try {
      job = await this.#store.insertJob(record);
    } catch (error) {
      claim?.release();
      if (error instanceof DuplicateJobError) {
        throw conflict(`job ${JSON.stringify(id)} already exists`);
      }
      throw error;
    }
    if (job.id !== id) return job; // deduplicated: the job holding the key
    if (queueNow) this.#queued(job);
    if (claim) claim.accept(job);
    else if (start && job.status === "created") await this.#advance(job);
    return job;
  }

  #queued(job: JobState): void {
    if (job.status === "queued") this.#runners.wake(job.runner);
    this.#events.emit({
      type: "job.queued",
      subject: job.id,
      data: { runner: job.runner },
    });
  }

  /** Queues a created job, or records what it waits for. */
  async start(id: string): Promise<void> {
    const job = await this.#mustGet(id);
    if (!STARTABLE.includes(job.status) || job.waiting_on) {
      throw conflict(
        job.waiting_on
          ? `job ${JSON.stringify(id)} is already started and waits for ${
            job.waiting_on.join(", ")
          }`
          : `job ${JSON.stringify(id)} is ${job.status}: only a created job can be started`,
        { status: job.status },
      );
    }
    await this.#advance(job);
  }

  /**
   * Moves a started job on according to its prerequisites: queues it when all
   * completed, fails it when one cannot complete, else records which it waits for.
   */
  async #advance(job: JobRecord): Promise<void> {
    const deps = job.depends_on ?? [];
    const found = deps.length ? await this.#store.getJobs(deps) : [];
    const now = this.#now();
    let change: Transition;
    const blocker = deps.findIndex((_, i) =>
      !found[i] ||
      (isFinal(found[i]!.status) && found[i]!.status !== "completed")
    );
    if (blocker >= 0) {
      const dep = found[blocker];
      const why = !dep ? "was deleted" : {
        failed: "failed",
        stopped: "was stopped",
        timeout: "timed out",
      }[dep.status as string];
      change = {
        from: ["created"],
        to: "failed",
        now,
        set: {
          error: `dependency ${JSON.stringify(deps[blocker])} ${why}`,
          finished_at: now,
        },
        unset: ["waiting_on"],
      };
    } else {
      const pending = deps.filter((_, i) => found[i]!.status !== "completed");
      change = pending.length
        ? {
          from: ["created"],
          to: "created",
          now,
          set: { waiting_on: pending },
        }
        : job.run_at !== undefined && job.run_at > now
        ? {
          from: ["created"],
          to: "scheduled",
          now,
          set: { run_after: job.run_at },
          unset: ["waiting_on"],
        }
        : { from: ["created"], to: "queued", now, unset: ["waiting_on"] };
    }
    const result = await this.#store.transition(job.id, change);
    if (!result.ok) {
      if (result.reason === "missing") {
        throw notFound(`job ${JSON.stringify(job.id)}`);
      }
      throw conflict(
        `job ${JSON.stringify(job.id)} is ${result.job.status}: it changed meanwhile`,
      );
    }
    if (change.to === "queued") this.#queued(result.job);
    if (change.to === "failed") this.#finished(result.job);
  }

  #finished(job: JobState): void {
    this.#events.emit({
      type: "job.finished",
      subject: job.id,
      data: { status: job.status, runner: job.runner },
    });
  }

  /**
   * Fails the jobs still waiting for a runner that was removed (queued, or
   * created and not started): nothing would ever run them. Returns how many.
   */
  async failOrphans(runner: string): Promise<number> {
    let failed = 0;
    for (const status of ["queued", "created"] as const) {
      for (;;) {
        const page = await this.#store.listJobs({ runner, status, limit: 500 });
        if (page.length === 0) break;
        for (const job of page) {
          const now = this.#now();
          const result = await this.#store.transition(job.id, {
            from: [status],
            to: "failed",
            now,
            set: { error: `runner ${JSON.stringify(runner)} was removed`, finished_at: now },
            unset: ["waiting_on"],
          });
          if (result.ok) {
            failed++;
            this.#finished(result.job);
          }
        }
        if (page.length < 500) break;
      }
    }
    return failed;
  }

  /** Re-examines the started jobs that wait for `prerequisite`. */
  async resolveDependants(prerequisite: string): Promise<void> {
    for (const id of await this.#store.dependantsOf(prerequisite)) {
      const job = await this.#store.getJob(id);
      if (job?.status === "created" && job.waiting_on) {
        await this.#advance(job).catch(
          () => {/* it changed meanwhile: nothing to do */},
        );
      }
    }
  }

  /** Re-examines every waiting job (after a restart, or in case a notice was missed). */
  async sweepWaiting(): Promise<void> {
    for (const id of await this.#store.waitingJobs(1000)) {
      const job = await this.#store.getJob(id);
      if (job?.status === "created" && job.waiting_on) {
        await this.#advance(job).catch(() => {});
      }
    }
  }

  /** Creates, queues and waits for a job; its result, or -32008 when the wait runs out. */
  async run(
    spec: JobSpec,
    waitMs?: number,
    signal?: AbortSignal,
  ): Promise<JobResult> {
    const id = spec.id ?? newJobId();
    // Listen before the job exists: its end cannot come before the wait.
    return await this.#awaitResult(id, async () => {
      const job = await this.create(
        { ...spec, id },
        true,
        spec.id === undefined,
      );
      return {
        job,
        waitMs: waitMs ??
          (job.timeout ?? DEFAULT_TIMEOUT_S) * 1000 + this.#runWaitGraceMs,
      };
    }, signal);
  }

  /** A job's result, waiting up to `waitMs` for it to be final. */
  async result(
    id: string,
    waitMs?: number,
    signal?: AbortSignal,
  ): Promise<JobResult> {
    return await this.#awaitResult(
      id,
      async () => ({
        job: await this.#mustGet(id),
        waitMs: waitMs ?? this.#resultWaitMs,
      }),
      signal,
    );
  }

  /**
   * Waits for a job's result: listens for its end, then runs `start` (which
   * reads or creates the job), then waits if it is not final yet. The result
   * comes with the notice when the process that ended the job knew it;
   * otherwise it is read.
   */
  async #awaitResult(
    id: string,
    start: () => Promise<{ job: JobRecord; waitMs: number }>,
    signal?: AbortSignal,
  ): Promise<JobResult> {
    // One controller ends the wait: the job's end, the wait running out, the caller leaving,
    // or this call returning. Its reasons are constants: a bare abort() builds a DOMException
    // with a stack trace, on every job.run.
    const stop = new AbortController();
    const abort = () => stop.abort(ENDED);
    signal?.addEventListener("abort", abort, { once: true });
    let woken: Promise<JobResult | undefined> | undefined;
    let cancelDeadline: (() => void) | undefined;
    try {
      woken = this.#waiters.wait(id, Infinity, stop.signal);
      const begun = await start();
      let job = begun.job;
      const waitMs = begun.waitMs;
      if (isFinal(job.status)) return jobResult(job);
      if (waitMs > 0) {
        cancelDeadline = this.#deadlines.add(Date.now() + waitMs, abort);
        const result = await woken;
        if (result) return result;
        job = await this.#mustGet(id);
        if (isFinal(job.status)) return jobResult(job);
      }
      throw waitTimeout(
        `job ${JSON.stringify(id)} is still ${job.status} after ${waitMs} ms`,
        { job_id: id, status: job.status },
      );
    } finally {
      cancelDeadline?.();
      abort();
      signal?.removeEventListener("abort", abort);
      await woken;
    }
  }

  /** Stops a created, queued or running job. A running job's processes are killed. */
  async stop(id: string, reason?: string, requestedBy?: string): Promise<void> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const job = await this.#mustGet(id);
      if (!STOPPABLE.includes(job.status)) {
        throw conflict(`job ${JSON.stringify(id)} is already ${job.status}`, {
          status: job.status,
        });
      }
      const now = this.#now();
      const message = `stopped${requestedBy ? ` by ${requestedBy}` : ""}${
        reason ? `: ${reason}` : ""
      }`;
      const result = await this.#store.transition(id, {
        from: [job.status],
        to: "stopped",
        now,
        set: { error: message, finished_at: now },
        unset: ["waiting_on", "run_after"],
      });
      if (!result.ok) continue; // it moved on meanwhile (queued → running): look again
      this.#finished(result.job);
      if (job.status === "running") {
        // Whoever runs it kills its process group, here or in a remote agent.
        await this.#store.notices.publish({
          type: "job.stop",
          id,
          reason: message,
        });
        await this.#runners.released(id, this.#stopWaitMs);
      }
      return;
    }
    throw conflict(`job ${JSON.stringify(id)} keeps changing; try again`);
  }

  /** Removes a created or final job and its logs. */
  async delete(id: string): Promise<void> {
    const result = await this.#store.deleteJob(id, DELETABLE);
    if (!result.ok) {
      if (result.reason === "missing") {
        throw notFound(`job ${JSON.stringify(id)}`);
      }
      throw conflict(
        `job ${JSON.stringify(id)} is ${result.job.status}: stop it before deleting it`,
        { status: result.job.status },
      );
    }
    this.#hub.forget(id);
    // Jobs that waited for it can no longer run.
    await this.resolveDependants(id);
  }

  /** A job with its spec and state. */
  async get(id: string): Promise<Job> {
    return publicJob(await this.#mustGet(id));
  }

  /** A job's status at a glance, saying why it does not move when it does not. */
  async status(id: string): Promise<JobStatusInfo> {
    const job = await this.#mustGet(id, STATE_READ);
    const info: JobStatusInfo = {
      job_id: job.id,
      status: job.status,
      created_at: job.created_at,
      attempts: job.attempts,
      runner: job.runner,
    };
    if (job.started_at !== undefined) info.started_at = job.started_at;
    if (job.finished_at !== undefined) info.finished_at = job.finished_at;
    if (job.error !== undefined) info.error = job.error;
    if (job.waiting_on) {
      info.waiting_on = job.waiting_on;
      info.note = `waiting for ${job.waiting_on.length} prerequisite(s) to complete`;
    }
    if (job.status === "scheduled" && job.run_after !== undefined) {
      info.note = `scheduled: starts at ${new Date(job.run_after).toISOString()}`;
    }
    if (job.status === "queued") {
      const exists = await this.#runners.config(job.runner);
      info.runner_live = exists ? await this.#runners.isLive(job.runner) : false;
      if (!exists) {
        info.note = `runner ${JSON.stringify(job.runner)} does not exist any more`;
      } else if (!info.runner_live) {
        info.note = `no live instance of runner ${JSON.stringify(job.runner)}: ` +
          "the job waits until one starts";
      } else if (job.run_after && job.run_after > this.#now()) {
        info.note = `retrying after ${new Date(job.run_after).toISOString()}`;
      }
    }
    return info;
  }

  /** Jobs newest first, filtered, paged with `before`. */
  async list(
    query: Omit<JobQuery, "beforeSeq"> & { before?: string },
  ): Promise<Job[]> {
    let beforeSeq: number | undefined;
    if (query.before !== undefined) {
      const before = await this.#store.getJob(query.before);
      if (!before) {
        throw notFound(`job ${JSON.stringify(query.before)} (before)`);
      }
      beforeSeq = before.seq;
    }
    const { before: _, ...filters } = query;
    return (await this.#store.listJobs({ ...filters, beforeSeq })).map(
      publicJob,
    );
  }

  /** A page of a job's log lines; with `waitMs`, waits for one when none follows yet. */
  async logs(
    id: string,
    after: number,
    limit: number,
    waitMs: number,
    signal?: AbortSignal,
  ): Promise<LogPage> {
    let job = await this.#mustGet(id, STATE_READ);
    let page = await this.#store.readSeq<Omit<LogLine, "seq">>(
      logKey(id),
      after,
      limit,
    );
    if (page.items.length === 0 && waitMs > 0 && !isFinal(job.status)) {
      await this.#hub.waitForNews(id, after, waitMs, signal);
      job = await this.#mustGet(id, STATE_READ);
      page = await this.#store.readSeq<Omit<LogLine, "seq">>(
        logKey(id),
        after,
        limit,
      );
    }
    const lines = page.items as LogLine[];
    const next = lines.at(-1)?.seq ?? Math.max(after, page.dropped);
    const result: LogPage = {
      lines,
      next,
      done: isFinal(job.status) && next >= page.last,
    };
    if (page.dropped > 0) result.dropped = page.dropped;
    return result;
  }

  /** The statuses a job id is in, for callers outside the API (e.g. the SSE endpoint). */
  async statusOf(id: string): Promise<JobStatus | null> {
    return (await this.#store.getJob(id, STATE_READ))?.status ?? null;
  }
}
