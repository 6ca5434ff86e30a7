/**
 * The store interface: everything the supervisor and its runners keep.
 *
 * Two backends implement it: {@linkcode SqliteStore} (embedded, durable, the
 * default) and {@linkcode RedisStore} (shared by several supervisors and
 * remote runner agents). One conformance suite (`tests/store/`) runs
 * unchanged against both.
 *
 * Every state change of a job is a compare-and-set {@linkcode Store.transition}:
 * it applies only if the job is in one of the expected statuses (and, for a
 * runner, still held by it), atomically with the queue, lease and index
 * bookkeeping that the change implies. Which transitions are allowed is
 * decided once, in `server/jobs/`, not in the backends.
 *
 * @module
 */

import type { Job, JobCounts, JobStatus, RunnerConfig } from "../../shared/types.generated.ts";
import type { Notice, NoticeBus } from "./notices.ts";
import type { SeqColumns } from "./seq_chunk.ts";

/** A job as stored: the public job plus the bookkeeping the store needs. */
export interface JobRecord extends Job {
  /** Creation order; pages of `jobs.list` are cut by it. */
  seq: number;
  /** The runner instance holding the job's lease while it runs. */
  worker?: string;
  /** Until when that lease holds, unless renewed (ms since epoch). */
  lease_until?: number;
  /** When a running job is overdue even for its timeout plus grace (ms since epoch). */
  deadline_at?: number;
  /** Until when its `dedup_key` holds (ms since epoch). */
  dedup_until?: number;
}

/**
 * The fields of a job that change over its life; everything else (its spec)
 * is written once. A transition may set or unset only these.
 */
export const STATE_FIELDS = [
  "status",
  "updated_at",
  "attempts",
  "started_at",
  "finished_at",
  "worker",
  "lease_until",
  "deadline_at",
  "run_after",
  "result",
  "error",
  "waiting_on",
] as const;

/** The fields of {@linkcode JobRecord} that a transition may set or unset. */
export type JobPatch = Partial<
  Pick<JobRecord, Exclude<typeof STATE_FIELDS[number], "status" | "updated_at">>
>;

/** A compare-and-set change of a job's status. */
export interface Transition {
  /** Applies only if the job's status is one of these. */
  from: readonly JobStatus[];
  /** The new status (may equal the old one, to change fields only). */
  to: JobStatus;
  /** Applies only if this runner instance still holds the job. */
  worker?: string;
  /** Applies only if the job's lease ran out before this time (for lease expiry). */
  leaseExpiredBy?: number;
  /** Fields to set. */
  set?: JobPatch;
  /** Fields to remove. */
  unset?: readonly (keyof JobPatch)[];
  /** The time of the change (ms since epoch); `updated_at` is set to it. */
  now: number;
}

/**
 * What a change leaves of a job: enough to act on (and to word a refusal),
 * not the whole job, so that a store does not ship payloads back and forth.
 */
export type JobState =
  & Pick<JobRecord, "id" | "runner" | "status" | "attempts">
  & Partial<Pick<JobRecord, "run_after" | "error">>;

/** The outcome of a {@linkcode Store.transition} or {@linkcode Store.deleteJob}. */
export type TransitionResult =
  | { ok: true; job: JobState }
  | { ok: false; reason: "missing" }
  | { ok: false; reason: "status" | "worker" | "lease"; job: JobState };

/** The state a job record leaves, as {@linkcode TransitionResult} carries it. */
export function jobState(job: JobRecord): JobState {
  const state: JobState = {
    id: job.id,
    runner: job.runner,
    status: job.status,
    attempts: job.attempts,
  };
  if (job.run_after !== undefined) state.run_after = job.run_after;
  if (job.error !== undefined) state.error = job.error;
  return state;
}

/** What {@linkcode Store.getJob} reads. */
export interface JobRead {
  /**
   * `false`: the job without its `result`, which can be megabytes, for a
   * read that only looks at its state (a status poll). Default true.
   */
  result?: boolean;
  /**
   * `false`: the store may leave out the job's `payload` too, which can be
   * as large (the embedded store keeps it apart and does). Default true.
   */
  payload?: boolean;
}

/** Filters and paging of {@linkcode Store.listJobs}. */
export interface JobQuery {
  status?: JobStatus;
  runner?: string;
  caller_id?: string;
  context_id?: string;
  /** Only jobs created before the job with this `seq`. */
  beforeSeq?: number;
  limit: number;
}

/** One item of a bounded sequence (job log lines, events) before it gets its `seq`. */
export type SeqItem = Record<string, unknown>;

/** A read from a bounded sequence. */
export interface SeqPage<T> {
  /** The items, each with its `seq`. */
  items: (T & { seq: number })[];
  /** The highest `seq` ever appended (0 when none). */
  last: number;
  /** How many of the oldest items are no longer kept. */
  dropped: number;
}

/** A secret as kept: its hash, never its value. */
export interface SecretRecord {
  hash: string;
  kind: "admin" | "user" | "register";
  fingerprint: string;
  created_at: number;
  source: "config" | "api" | "generated";
}

/** The store every part of the supervisor and its runners works through. */
export interface Store {
  /** `embedded` (SQLite in `data_dir`) or `redis`. */
  readonly kind: "embedded" | "redis";
  /** Where the data is, for humans (a path, or a URL without its password). */
  readonly location: string;
  /** Cross-process notices: job finished, log lines, stop requests, changes. */
  readonly notices: NoticeBus;

  /** Checks the store answers; throws {@linkcode StoreUnavailableError} when not. */
  ping(): Promise<void>;
  /** Releases connections and files. */
  close(): Promise<void>;

  // ---- jobs ----------------------------------------------------------------
  /**
   * Stores a new job (its `seq` is assigned). A job stored as `queued` goes
   * into its runner's queue (ordered by `priority`, then first come first
   * served), one stored as `scheduled` waits for its `run_after`. Throws
   * {@linkcode DuplicateJobError} if the id exists. With a `dedup_key` that
   * another job holds until after `now` (its `dedup_until`), nothing is
   * stored and that job is returned instead.
   */
  insertJob(job: Omit<JobRecord, "seq">): Promise<JobRecord>;
  /**
   * Stores many new jobs at once, all or nothing: a duplicate id stores
   * none of them (throws {@linkcode DuplicateJobError}). Deduplicated ones
   * are returned as the job that holds their key, as by `insertJob`.
   */
  insertJobs(jobs: readonly Omit<JobRecord, "seq">[]): Promise<JobRecord[]>;
  /** A job, or null; with `{ result: false }`, without its result (see {@linkcode JobRead}). */
  getJob(id: string, read?: JobRead): Promise<JobRecord | null>;
  getJobs(ids: readonly string[]): Promise<(JobRecord | null)[]>;
  /** Jobs newest first, by one or more filters, cut at `beforeSeq`. */
  listJobs(query: JobQuery): Promise<JobRecord[]>;
  countJobs(): Promise<JobCounts>;
  /** Removes a job in one of `from` with its logs; the result says why not otherwise. */
  deleteJob(id: string, from: readonly JobStatus[]): Promise<TransitionResult>;
  /**
   * Changes a job atomically if its state matches. Entering `queued` puts it
   * into its runner's queue (or into the delayed set, when `run_after` is
   * later than `now`); leaving `running` drops its lease and deadline;
   * entering a final status publishes a `job.final` notice.
   */
  transition(id: string, change: Transition): Promise<TransitionResult>;
  /**
   * Takes up to `max` queued jobs of a runner, oldest first: each becomes
   * `running`, held by `worker` until `leaseUntil`, with `attempts` counted.
   * With `rate`, no more than `rate.max` starts per window of the runner
   * (windows of `rate.perMs` from the epoch, counted in the store for every
   * taker); when jobs were left for that reason, `rate.limitedUntil` says
   * when the next window opens.
   */
  takeJobs(
    runner: string,
    max: number,
    worker: string,
    now: number,
    leaseUntil: number,
    timeoutGraceMs: number,
    rate?: RateLimit,
  ): Promise<JobRecord[]>;
  /** Extends the leases of jobs `worker` still holds; returns the ids it no longer holds. */
  renewLeases(
    worker: string,
    ids: readonly string[],
    leaseUntil: number,
  ): Promise<string[]>;
  /** Running jobs whose lease ran out before `now`. */
  expiredLeases(now: number, limit: number): Promise<JobRecord[]>;
  /** Running jobs past their deadline (timeout plus grace) at `now`. */
  overdueJobs(now: number, limit: number): Promise<JobRecord[]>;
  /**
   * Removes final jobs (with their logs) past their keep age: their own
   * (`keep.completed.age`, `keep.failed.age`; failed covers stopped and
   * timeout), else `ages` (ms; absent: kept). At most `limit`; returns how many.
   */
  sweepExpired(now: number, ages: KeepAges, limit: number): Promise<number>;
  /** Removes the oldest jobs of a final status beyond the newest `keep`, at most `limit`. */
  trimStatus(status: JobStatus, keep: number, limit: number): Promise<number>;
  /**
   * Moves jobs whose time came into their queues: `scheduled` ones (they
   * become `queued`) and delayed retries. Returns the runners whose queues
   * got jobs (each once).
   */
  promoteDelayed(now: number): Promise<string[]>;
  /** How many jobs wait in each runner's queue. */
  queueDepths(): Promise<Record<string, number>>;
  /** Ids of the jobs that depend on a job. */
  dependantsOf(id: string): Promise<string[]>;
  /** Ids of jobs started but waiting for prerequisites. */
  waitingJobs(limit: number): Promise<string[]>;
  /**
   * Waits until the runner's queue may hold work, at most `timeoutMs`.
   * Cross-process wake-up; in-process wake-ups are the caller's.
   */
  waitForWork(
    runner: string,
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<void>;

  // ---- bounded sequences: job logs and events ------------------------------
  /**
   * Appends items to a bounded sequence, numbering them; keeps the last
   * `keep`. Returns the `seq` of the first one (the others follow it).
   * Items may come by columns (a log batch): stored as the same items.
   */
  appendSeq(
    key: string,
    items: readonly SeqItem[] | SeqColumns,
    keep: number,
  ): Promise<number>;
  /** Reads items with `seq` greater than `after`, at most `limit`. */
  readSeq<T extends SeqItem>(
    key: string,
    after: number,
    limit: number,
  ): Promise<SeqPage<T>>;
  /** Removes a sequence. */
  deleteSeq(key: string): Promise<void>;

  // ---- secrets, runners, agents --------------------------------------------
  listSecrets(): Promise<SecretRecord[]>;
  /** Adds a secret; false if one with that hash exists. */
  putSecret(secret: SecretRecord): Promise<boolean>;
  /** Removes a secret; false if none had that hash. */
  deleteSecret(hash: string): Promise<boolean>;
  /** Runners registered through the API or by remote agents, kept across restarts. */
  listRunnerConfigs(): Promise<RunnerConfig[]>;
  putRunnerConfig(config: RunnerConfig): Promise<void>;
  deleteRunnerConfig(name: string): Promise<void>;
  /** Records that a remote agent serves a runner (configured so) until `until`. */
  heartbeatAgent(
    config: RunnerConfig,
    agent: string,
    until: number,
  ): Promise<void>;
  /** Removes an agent's record (on clean shutdown). */
  removeAgent(runner: string, agent: string): Promise<void>;
  /** Agents of a runner whose heartbeat holds at `now`. */
  liveAgents(runner: string, now: number): Promise<string[]>;
  /** The runners remote agents announced (live or not), by their configs. */
  agentRunners(): Promise<RunnerConfig[]>;

  // ---- schedules -------------------------------------------------------------
  /** Stores a schedule; with `create`, only if none of that name exists (false then). */
  putSchedule(schedule: ScheduleRecord, create: boolean): Promise<boolean>;
  getSchedule(name: string): Promise<ScheduleRecord | null>;
  listSchedules(): Promise<ScheduleRecord[]>;
  /** Removes a schedule and its runs; false if there was none. */
  deleteSchedule(name: string): Promise<boolean>;
  /**
   * Compare-and-set of a schedule's last tick: moves it from `from` to `to`
   * (recording `run`, the last 20 kept) only if it still is `from`. The one
   * member whose set succeeds owns the tick.
   */
  advanceSchedule(
    name: string,
    from: number,
    to: number,
    run: ScheduleRun | null,
  ): Promise<boolean>;

  // ---- cluster members -----------------------------------------------------
  /** Records (or refreshes) a member of the cluster: a supervisor or an agent. */
  heartbeatMember(member: MemberRecord): Promise<void>;
  /** Every member on record, live or gone. */
  listMembers(): Promise<MemberRecord[]>;
  /** Forgets a member (it stopped cleanly, or it has been gone too long). */
  removeMember(id: string): Promise<void>;
}

/** A schedule as stored: its spec, who owns it, and where its ticks are. */
export interface ScheduleRecord {
  name: string;
  cron: string;
  timezone: string;
  job: Record<string, unknown> & { runner: string; payload: string };
  overlap: "skip" | "queue" | "allow";
  catch_up: "none" | "last" | "all";
  paused: boolean;
  /** Who made it (`kind:fingerprint`, or `config`): a user secret sees only its own. */
  owner: string;
  created_at: number;
  updated_at: number;
  /** The last tick handled (fired or skipped), ms since epoch. */
  last_tick: number;
  /** Its latest runs, newest first (kept with the tick; at most 20). */
  runs: ScheduleRun[];
}

/** Runs of a schedule kept with it. */
export const SCHEDULE_RUNS_KEPT = 20;

/** One tick of a schedule: the job it made, or why none. */
export interface ScheduleRun {
  tick: number;
  job_id?: string;
  skipped?: string;
}

/** A supervisor or remote agent sharing the store, as its heartbeat left it. */
export interface MemberRecord {
  id: string;
  role: "supervisor" | "agent";
  host: string;
  pid: number;
  version: string;
  /** When it started (ms since epoch). */
  started_at: number;
  /** Its last heartbeat (ms since epoch). */
  last_seen: number;
  /** Until when that heartbeat holds: past it, the member is gone. */
  until: number;
  /** Where its API answers (supervisors). */
  url?: string;
  /** The runners it serves (their configs: another member may take jobs for them). */
  runners: RunnerConfig[];
  /** Jobs running on it, and how many may. */
  load: { busy: number; instances: number };
}

/** A runner's rate limit, as `takeJobs` applies it (and what it answers). */
export interface RateLimit {
  max: number;
  perMs: number;
  /** Set by the store: jobs wait for the window that opens then. */
  limitedUntil?: number;
}

/** How long final jobs are kept by default, ms (absent: no limit by age). */
export interface KeepAges {
  completed?: number;
  /** Also for stopped and timed-out jobs. */
  failed?: number;
}

/** A job's own keep age for the final status it reached, ms; undefined when none. */
export function ownKeepAge(job: Pick<JobRecord, "keep" | "status">): number | undefined {
  const rule = job.status === "completed" ? job.keep?.completed : job.keep?.failed;
  return rule?.age !== undefined ? rule.age * 1000 : undefined;
}

/** A job's own keep ages as hash fields (`keep_completed`, `keep_failed`, ms) for Redis. */
export function keepFields(job: Pick<JobRecord, "keep">): string[] {
  const out: string[] = [];
  if (job.keep?.completed?.age !== undefined) {
    out.push("keep_completed", String(job.keep.completed.age * 1000));
  }
  if (job.keep?.failed?.age !== undefined) {
    out.push("keep_failed", String(job.keep.failed.age * 1000));
  }
  return out;
}

/** The store could not be reached; the call may be retried later. */
export class StoreUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "StoreUnavailableError";
  }
}

/** A job with that id already exists. */
export class DuplicateJobError extends Error {
  constructor(readonly id: string) {
    super(`job ${JSON.stringify(id)} already exists`);
    this.name = "DuplicateJobError";
  }
}

/** The statuses after which a job never changes again. */
export const FINAL_STATUSES: readonly JobStatus[] = [
  "completed",
  "failed",
  "stopped",
  "timeout",
];

/** Whether a status is final. */
export const isFinal = (status: JobStatus): boolean => FINAL_STATUSES.includes(status);

/**
 * The `job.final` notice of a transition that made a job final, with its
 * result when the change carries it (completed with a result, or an error).
 */
export function finalNotice(
  id: string,
  change: Transition,
  dependants?: boolean,
): Notice {
  const notice: Notice = { type: "job.final", id, status: change.to };
  // Unknown: listeners look for dependants themselves.
  if (dependants !== undefined) notice.dependants = dependants;
  if (change.to === "completed" && change.set && "result" in change.set) {
    notice.result = { success: change.set.result ?? null };
  } else if (change.to !== "completed" && change.set?.error !== undefined) {
    notice.result = { error: change.set.error };
  }
  return notice;
}

/** The sequence key of a job's log lines. */
export const logKey = (jobId: string): string => `log:${jobId}`;

/** The sequence key of the lifecycle events. */
export const EVENTS_KEY = "events";

/** Counts jobs in each status, from a list of (status, count) rows. */
export function jobCounts(rows: Iterable<[string, number]>): JobCounts {
  const counts: JobCounts = {
    created: 0,
    scheduled: 0,
    queued: 0,
    running: 0,
    completed: 0,
    failed: 0,
    stopped: 0,
    timeout: 0,
    total: 0,
  };
  for (const [status, n] of rows) {
    if (status in counts && status !== "total") counts[status as JobStatus] = n;
    counts.total += n;
  }
  return counts;
}
