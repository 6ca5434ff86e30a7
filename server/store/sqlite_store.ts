/**
 * The embedded store: SQLite (`node:sqlite`, built into Deno) in `data_dir`.
 *
 * Why SQLite: it ships with Deno (no server, nothing to install), its WAL
 * mode makes every committed transaction survive a `kill -9` of the
 * supervisor, and its indexes give `jobs.list` its filters and pages without
 * scanning.
 *
 * Writes are group-committed: every write call made in one turn of the event
 * loop (all the I/O that was ready, and what it led to) runs in one
 * transaction after it (`setImmediate`: a few µs later, not a timer's
 * millisecond), each in a savepoint of its own (a call that fails undoes
 * only itself), and each is answered once that transaction has committed. A
 * COMMIT (a WAL append) per call cost 0.25 ms of the supervisor's CPU per
 * job, more than half of the store's share (measured); durability is
 * unchanged, since no call is answered before its commit.
 *
 * @module
 */

import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite";
import { setImmediate } from "node:timers";
import type { Timer } from "../util/timer.ts";
import type { JobCounts, JobStatus, RunnerConfig } from "../../shared/types.generated.ts";
import { type Notice, NoticeBus } from "./notices.ts";
import { decodeChunk, encodeChunk, type SeqColumns } from "./seq_chunk.ts";
import {
  DuplicateJobError,
  FINAL_STATUSES,
  finalNotice,
  isFinal,
  jobCounts,
  type JobQuery,
  type JobRead,
  type JobRecord,
  jobState,
  type KeepAges,
  type MemberRecord,
  ownKeepAge,
  type RateLimit,
  SCHEDULE_RUNS_KEPT,
  type ScheduleRecord,
  type ScheduleRun,
  type SecretRecord,
  type SeqItem,
  type SeqPage,
  type Store,
  StoreUnavailableError,
  type Transition,
  type TransitionResult,
} from "./store.ts";

/** Arrivals a queue can count (2^42) below the priority bits of its order. */
const ARRIVALS = 2 ** 42;

/**
 * A queued job's place: higher priority first (-1000..1000), then first come
 * first served. Fits a safe integer: 2001 priorities × 2^42 arrivals < 2^53.
 */
export function queueKey(priority: number | undefined, arrival: number): number {
  return (1000 - (priority ?? 0)) * ARRIVALS + (arrival % ARRIVALS);
}

/**
 * A payload longer than this (in UTF-16 units) is kept apart from its job's
 * row (see `#insert`); a shorter one costs less inline than a row apart
 * (measured: a table for all of them made bulk jobs of empty payloads 6%
 * slower, 17 879 against 18 995 jobs/s).
 */
const INLINE_PAYLOAD = 1024;

/** The jobs with their payloads (kept apart: see `#insert`). */
const FROM_JOBS = "FROM jobs LEFT JOIN job_payloads USING (seq)";
/** A whole job's columns, and where they are (see `#parseJob`). */
const FULL_JOB = `data, result, payload ${FROM_JOBS}`;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS jobs (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  runner TEXT NOT NULL,
  status TEXT NOT NULL,
  caller_id TEXT,
  context_id TEXT,
  queue_seq INTEGER,
  run_after INTEGER,
  lease_until INTEGER,
  deadline_at INTEGER,
  waiting INTEGER NOT NULL DEFAULT 0,
  data TEXT NOT NULL,
  result TEXT
);
CREATE INDEX IF NOT EXISTS jobs_by_status ON jobs (status, seq);
CREATE INDEX IF NOT EXISTS jobs_by_runner ON jobs (runner, seq);
CREATE INDEX IF NOT EXISTS jobs_by_caller ON jobs (caller_id, seq) WHERE caller_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS jobs_by_context ON jobs (context_id, seq) WHERE context_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS jobs_queue ON jobs (runner, queue_seq) WHERE status = 'queued';
CREATE INDEX IF NOT EXISTS jobs_waiting ON jobs (seq) WHERE waiting = 1;
CREATE INDEX IF NOT EXISTS jobs_scheduled ON jobs (run_after) WHERE status = 'scheduled';
CREATE TABLE IF NOT EXISTS job_payloads (seq INTEGER PRIMARY KEY, payload TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS dedup (
  key TEXT PRIMARY KEY,
  job_id TEXT NOT NULL,
  until INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS deps (
  prerequisite TEXT NOT NULL,
  dependant TEXT NOT NULL,
  PRIMARY KEY (prerequisite, dependant)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS seq_chunks (
  key TEXT NOT NULL,
  first INTEGER NOT NULL,
  last INTEGER NOT NULL,
  items TEXT NOT NULL,
  PRIMARY KEY (key, first)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS seq_heads (
  key TEXT PRIMARY KEY,
  last INTEGER NOT NULL,
  first INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS secrets (hash TEXT PRIMARY KEY, data TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS runners (name TEXT PRIMARY KEY, data TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS agent_runners (name TEXT PRIMARY KEY, data TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS members (id TEXT PRIMARY KEY, data TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rates (
  runner TEXT PRIMARY KEY,
  window INTEGER NOT NULL,
  used INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS schedules (
  name TEXT PRIMARY KEY,
  data TEXT NOT NULL,
  last_tick INTEGER NOT NULL,
  runs TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS health (id INTEGER PRIMARY KEY, at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS agents (
  runner TEXT NOT NULL,
  agent TEXT NOT NULL,
  until INTEGER NOT NULL,
  PRIMARY KEY (runner, agent)
) WITHOUT ROWID;
`;

type Row = Record<string, SQLInputValue>;

/** A pause of the writes this long (ms) is when the WAL is copied back (see `#checkpoint`). */
const IDLE_MS = 20;
/** ...once this many commits are in the WAL (a few MiB). */
const IDLE_COMMITS = 128;
/** Commits after which it is copied back even without a pause. */
const CHECKPOINT_COMMITS = 4000;
/** Every this many commits the WAL's size is looked at (a stat, ~µs)... */
const WAL_LOOK_EVERY = 128;
/** ...and copied back past this size: a steady stream never pauses, yet its WAL stays bounded. */
const WAL_MAX_BYTES = 16 * 1024 * 1024;

/**
 * SQLite's messages for a store that cannot write (or read) its file:
 * the disk is full, the file system is read-only, an I/O error. They are
 * the store being unavailable, not a fault of the call.
 */
const UNAVAILABLE =
  /database or disk is full|readonly database|disk I\/O error|unable to open database|database disk image is malformed|file is not a database|database is locked/i;

/** A write waiting for its turn's transaction. */
interface PendingWrite {
  // deno-lint-ignore no-explicit-any
  fn: () => any;
  // deno-lint-ignore no-explicit-any
  resolve: (value: any) => void;
  reject: (error: unknown) => void;
  /** Runs once the transaction committed, before the call is answered (its notices). */
  // deno-lint-ignore no-explicit-any
  after?: (value: any) => void;
}

/** The embedded, durable store. */
export class SqliteStore implements Store {
  readonly kind = "embedded" as const;
  readonly location: string;
  readonly notices = new NoticeBus();
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();
  #queueSeq: number;
  /** The last job seq given out (this process is the store's only writer). */
  #jobSeq: number;
  #closed = false;
  /** Commits since the last checkpoint, and when the last one was (`performance.now()`). */
  #sinceCheckpoint = 0;
  #lastCommit = 0;
  /** Waits for the writes to pause, once the WAL holds enough to copy back (see `#checkpoint`). */
  #idleCheckpoint: Timer | undefined;
  /** Why the last write failed, until a write succeeds again: `/health` reports it. */
  #writeFailure: string | null = null;
  /** The writes of this turn (see the module's doc). */
  #pending: PendingWrite[] = [];
  #flushScheduled = false;

  /**
   * Opens (creating if needed) the database file at `path`. The file is
   * this user's alone (0600); SQLite gives its WAL files the same mode.
   */
  readonly #path: string;

  constructor(path: string) {
    this.#path = path;
    this.location = path;
    Deno.openSync(path, { create: true, write: true, mode: 0o600 }).close();
    for (const file of [path, `${path}-wal`, `${path}-shm`]) {
      try {
        Deno.chmodSync(file, 0o600);
      } catch {
        // Not made yet.
      }
    }
    this.#db = new DatabaseSync(path);
    // This process is the file's only user (the data dir's lock says so): exclusive locking
    // keeps the WAL index in memory and takes no file lock per transaction (measured: reads
    // 4-7x, transactions 1.5x cheaper).
    this.#db.exec(
      "PRAGMA locking_mode = EXCLUSIVE; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; " +
        "PRAGMA busy_timeout = 5000; PRAGMA wal_autocheckpoint = 0; " +
        // A WAL copied back is cut to this size when it starts over: under a steady stream
        // with retention the files stay flat instead of keeping their largest size.
        "PRAGMA journal_size_limit = 16777216;",
    );
    this.#db.exec(SCHEMA);
    this.#migrate();
    const row = this.#get("SELECT MAX(queue_seq) AS q FROM jobs") as {
      q: number | null;
    };
    // The low bits count arrivals; the high ones are the priority (see `queueKey`).
    this.#queueSeq = (row.q ?? 0) % ARRIVALS;
    // AUTOINCREMENT's high-water mark: a seq is never given twice, even after deletes.
    const last = this.#get(
      "SELECT seq FROM sqlite_sequence WHERE name = 'jobs'",
    );
    this.#jobSeq = Number(last?.seq ?? 0);
  }

  /**
   * After a commit: once {@linkcode IDLE_COMMITS} are in the WAL, the WAL is
   * copied back at the first pause of {@linkcode IDLE_MS} in the writes. Not
   * after a few commits: once all of the WAL is copied back, the next write
   * starts it over, which costs that write ~0.35 ms (measured: a first commit
   * after a pause 550-600 µs after a full checkpoint, 165 µs otherwise), a
   * job's worth on a quiet server. A timer only while there is something to
   * copy: an idle store wakes nobody (a 20 ms interval woke the supervisor 50
   * times a second for nothing).
   */
  #checkpointWhenIdle(): void {
    if (this.#idleCheckpoint !== undefined || this.#sinceCheckpoint < IDLE_COMMITS) return;
    const wait = (ms: number) => {
      this.#idleCheckpoint = setTimeout(() => {
        const quiet = performance.now() - this.#lastCommit;
        if (quiet < IDLE_MS) return wait(IDLE_MS - quiet);
        this.#idleCheckpoint = undefined;
        if (!this.#closed && this.#sinceCheckpoint >= IDLE_COMMITS) this.#checkpoint();
      }, ms);
      Deno.unrefTimer(Number(this.#idleCheckpoint));
    };
    wait(IDLE_MS);
  }

  /**
   * Copies the WAL back into the database file (and syncs both). SQLite does
   * it in the COMMIT that passes 1000 pages; a few ms of I/O, there, were
   * the embedded store's p99 (measured: job.run p99 7-8.6 ms embedded, 5.3-5.6
   * on Redis). So it runs when the store is idle (once
   * {@linkcode IDLE_COMMITS} commits are in the WAL), or inline only after
   * {@linkcode CHECKPOINT_COMMITS} commits without a pause.
   */
  #walBytes(): number {
    try {
      return Deno.statSync(`${this.#path}-wal`).size;
    } catch {
      return 0;
    }
  }

  #checkpoint(): void {
    this.#sinceCheckpoint = 0;
    try {
      this.#db.exec("PRAGMA wal_checkpoint(PASSIVE)");
    } catch {
      // The next one will try again; a failing disk shows in the writes.
    }
  }

  #stmt(sql: string): StatementSync {
    let stmt = this.#statements.get(sql);
    if (!stmt) {
      if (this.#closed) {
        throw new StoreUnavailableError("the embedded store is closed");
      }
      stmt = this.#db.prepare(sql);
      this.#statements.set(sql, stmt);
    }
    return stmt;
  }
  #get(sql: string, ...args: SQLInputValue[]): Row | undefined {
    return this.#stmt(sql).get(...args) as Row | undefined;
  }
  #all(sql: string, ...args: SQLInputValue[]): Row[] {
    return this.#stmt(sql).all(...args) as Row[];
  }
  #run(sql: string, ...args: SQLInputValue[]): number {
    return Number(this.#stmt(sql).run(...args).changes);
  }

  /**
   * A write, in this turn's transaction: resolves with what `fn` returns once
   * it committed (after `after` ran), rejects with what `fn` threw (only its
   * own changes undone) or with why the transaction failed. Throws at once
   * when the store is closed.
   */
  #group<T>(fn: () => T, after?: (value: T) => void): Promise<T> {
    if (this.#closed) {
      throw new StoreUnavailableError("the embedded store is closed");
    }
    return new Promise<T>((resolve, reject) => {
      this.#pending.push({ fn, resolve, reject, after });
      if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  /** Runs the turn's writes in one transaction. */
  #flush(): void {
    this.#flushScheduled = false;
    const batch = this.#pending;
    this.#pending = [];
    if (this.#closed) {
      const error = new StoreUnavailableError("the embedded store is closed");
      for (const op of batch) op.reject(error);
      return;
    }
    const fail = (error: unknown) => {
      const failure = this.#failure(error);
      for (const op of batch) op.reject(failure);
    };
    try {
      this.#db.exec("BEGIN IMMEDIATE");
    } catch (error) {
      return fail(error);
    }
    // First without savepoints (they were three quarters of an insert's cost: measured), as
    // calls rarely fail; if one does, all is undone and done again, each call in a savepoint
    // of its own. (One call alone needs none: its failure rolls the transaction back.)
    const counters = [this.#jobSeq, this.#queueSeq];
    let outcomes: { ok: boolean; value: unknown }[] | null = null;
    if (batch.length > 1) {
      try {
        outcomes = batch.map((op) => ({ ok: true, value: op.fn() }));
      } catch {
        try {
          this.#db.exec("ROLLBACK");
          [this.#jobSeq, this.#queueSeq] = counters;
          this.#db.exec("BEGIN IMMEDIATE");
        } catch (error) {
          return fail(error);
        }
      }
    }
    const savepoints = batch.length > 1;
    if (!outcomes) outcomes = this.#runEach(batch, savepoints);
    try {
      if (savepoints || outcomes[0].ok) this.#db.exec("COMMIT");
      else this.#db.exec("ROLLBACK");
      this.#writeFailure = null;
      this.#lastCommit = performance.now();
      if (++this.#sinceCheckpoint >= CHECKPOINT_COMMITS) this.#checkpoint();
      else if (this.#sinceCheckpoint % WAL_LOOK_EVERY === 0 && this.#walBytes() > WAL_MAX_BYTES) {
        this.#checkpoint();
      } else this.#checkpointWhenIdle();
    } catch (error) {
      // SQLite may have rolled back already (a full disk does): the cause is what counts.
      if (this.#db.isTransaction) {
        try {
          this.#db.exec("ROLLBACK");
        } catch {
          // Rolled back by SQLite.
        }
      }
      return fail(error);
    }
    batch.forEach((op, i) => {
      const { ok, value } = outcomes![i];
      if (!ok) return op.reject(value);
      try {
        op.after?.(value);
      } finally {
        op.resolve(value);
      }
    });
  }

  /** Inserts a job's row; {@linkcode DuplicateJobError} when its id is taken. */
  #insertRow(id: string, sql: string, ...args: SQLInputValue[]): void {
    try {
      this.#run(sql, ...args);
    } catch (error) {
      if (/UNIQUE constraint failed: jobs\.id/.test((error as Error)?.message ?? "")) {
        throw new DuplicateJobError(id);
      }
      throw error;
    }
  }

  /** Runs each write of a batch, in a savepoint of its own if asked: a failure undoes only it. */
  #runEach(batch: PendingWrite[], savepoints: boolean): { ok: boolean; value: unknown }[] {
    const outcomes: { ok: boolean; value: unknown }[] = [];
    for (const op of batch) {
      if (savepoints) this.#stmt("SAVEPOINT w").run();
      try {
        const value = op.fn();
        if (savepoints) this.#stmt("RELEASE w").run();
        outcomes.push({ ok: true, value });
      } catch (error) {
        if (savepoints) {
          try {
            this.#stmt("ROLLBACK TO w").run();
            this.#stmt("RELEASE w").run();
          } catch {
            // SQLite ended the transaction (a full disk): the COMMIT below says so.
          }
        }
        outcomes.push({ ok: false, value: this.#failure(error) });
      }
    }
    return outcomes;
  }

  /** An error of SQLite's file as {@linkcode StoreUnavailableError}, naming the cause. */
  #failure(error: unknown): unknown {
    const message = (error as Error)?.message ?? String(error);
    if (!UNAVAILABLE.test(message)) return error;
    this.#writeFailure = message;
    return new StoreUnavailableError(
      `the embedded store (${this.location}) cannot write: ${message}`,
      { cause: error },
    );
  }

  ping(): Promise<void> {
    if (this.#closed) {
      throw new StoreUnavailableError("the embedded store is closed");
    }
    try {
      this.#get("SELECT 1");
    } catch (error) {
      throw this.#failure(error);
    }
    // After a failed write, a store that reads is not well: try a small write again.
    if (this.#writeFailure !== null) {
      return this.#group(() => {
        this.#run(
          "INSERT OR REPLACE INTO health (id, at) VALUES (1, ?)",
          Date.now(),
        );
      });
    }
    return Promise.resolve();
  }

  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      clearTimeout(this.#idleCheckpoint);
      if (this.#sinceCheckpoint > 0) this.#checkpoint();
      this.#statements.clear();
      this.#db.close();
    }
    return Promise.resolve();
  }

  // ---- jobs ------------------------------------------------------------------

  /** A job's row as its record: `data`, with `payload` and `result` apart (see `#columns`). */
  #parseJob(row: Row): JobRecord {
    const job: JobRecord = JSON.parse(row.data as string);
    if (row.payload != null) job.payload = row.payload as string;
    if (row.result != null) job.result = JSON.parse(row.result as string);
    return job;
  }

  #readJob(id: string): JobRecord | null {
    const row = this.#get(`SELECT ${FULL_JOB} WHERE id = ?`, id);
    return row ? this.#parseJob(row) : null;
  }

  /**
   * The columns the indexes need, derived from a job, its JSON and its
   * result's. The result is kept apart from the rest: it can be megabytes,
   * and a status read would parse them all (measured, with a 3 MB result:
   * 2.3 ms a read with it, 0.012 ms without). Rows written before hold it in
   * `data`. Nor is a long payload: it is in `job_payloads`, written once
   * with the job (see `#insert`).
   */
  #columns(job: JobRecord, queueSeq: number | null): SQLInputValue[] {
    const final = isFinal(job.status);
    let result: string | null = null;
    const apart = job.payload !== undefined && job.payload.length > INLINE_PAYLOAD;
    if (job.result !== undefined || apart) {
      if (job.result !== undefined) result = JSON.stringify(job.result);
      const { result: _, payload, ...rest } = job;
      job = (apart ? rest : { ...rest, payload }) as JobRecord;
    }
    return [
      job.status,
      queueSeq,
      job.run_after ?? null,
      job.lease_until ?? null,
      job.deadline_at ?? null,
      job.waiting_on?.length ? 1 : 0,
      final ? job.finished_at ?? job.updated_at : null,
      final ? ownKeepAge(job) ?? null : null,
      JSON.stringify(job),
      result,
    ];
  }

  /** Columns added since the first version, to a store made before them. */
  #migrate(): void {
    const columns = new Set(
      this.#all("PRAGMA table_info(jobs)").map((c) => c.name as string),
    );
    // Results apart from the rest of the job (see `#columns`); older rows keep theirs in `data`.
    if (!columns.has("result")) this.#db.exec("ALTER TABLE jobs ADD COLUMN result TEXT");
    // Running jobs are found through jobs_by_status (there are at most as many as instances
    // here): an index on their lease and one on their deadline cost every take, renewal and
    // end two more pages to write (measured: a completion's commit 22.4 -> 14.2 KB of WAL).
    this.#db.exec("DROP INDEX IF EXISTS jobs_leases; DROP INDEX IF EXISTS jobs_deadlines;");
    if (!columns.has("finished_at")) {
      this.#db.exec(
        `ALTER TABLE jobs ADD COLUMN finished_at INTEGER;
         ALTER TABLE jobs ADD COLUMN keep_age INTEGER;
         UPDATE jobs SET finished_at = json_extract(data, '$.finished_at')
           WHERE status IN ('completed', 'failed', 'stopped', 'timeout');`,
      );
    }
    this.#db.exec(
      `CREATE INDEX IF NOT EXISTS jobs_finished ON jobs (status, finished_at)
         WHERE finished_at IS NOT NULL;
       CREATE INDEX IF NOT EXISTS jobs_expiring ON jobs (finished_at + keep_age)
         WHERE keep_age IS NOT NULL;`,
    );
    // Long payloads apart from the rows (see `#insert`): those of a store made before move,
    // once. SQLite counts characters, JavaScript UTF-16 units (up to two a character): all
    // that may be longer than INLINE_PAYLOAD here move. One that also stays short enough
    // here is written inline again at its next change, and read the same either way.
    if (Number(this.#get("PRAGMA user_version")?.user_version ?? 0) < 1) {
      const moved = `json_type(data, '$.payload') = 'text'
        AND length(json_extract(data, '$.payload')) > ${INLINE_PAYLOAD / 2}`;
      this.#db.exec(
        `BEGIN IMMEDIATE;
         INSERT OR IGNORE INTO job_payloads (seq, payload)
           SELECT seq, json_extract(data, '$.payload') FROM jobs WHERE ${moved};
         UPDATE jobs SET data = json_remove(data, '$.payload') WHERE ${moved};
         PRAGMA user_version = 1;
         COMMIT;`,
      );
    }
  }

  /** Writes a job's row: its JSON and the columns the indexes need, derived from it. */
  #writeJob(job: JobRecord, queueSeq: number | null): void {
    this.#run(
      `UPDATE jobs SET status = ?, queue_seq = ?, run_after = ?, lease_until = ?,
        deadline_at = ?, waiting = ?, finished_at = ?, keep_age = ?, data = ?, result = ?
        WHERE id = ?`,
      ...this.#columns(job, queueSeq),
      job.id,
    );
  }

  insertJob(input: Omit<JobRecord, "seq">): Promise<JobRecord> {
    return this.#group(() => this.#insert(input));
  }

  insertJobs(jobs: readonly Omit<JobRecord, "seq">[]): Promise<JobRecord[]> {
    // One operation of the turn's transaction: a duplicate undoes all of it (its savepoint).
    return this.#group(() => jobs.map((job) => this.#insert(job)));
  }

  #insert(input: Omit<JobRecord, "seq">): JobRecord {
    {
      // One write: the seq is known before the row is (a row written, then its JSON, would
      // touch every index twice). A duplicate id is the unique index's to find (a lookup
      // first cost a quarter of an insert: measured); the failed statement changes nothing.
      if (input.dedup_key !== undefined) {
        const held = this.#get("SELECT job_id, until FROM dedup WHERE key = ?", input.dedup_key);
        const holder = held && (held.until as number) > input.created_at
          ? this.#readJob(held.job_id as string)
          : null;
        if (holder) return holder;
      }
      const job: JobRecord = { ...input, seq: this.#jobSeq + 1 };
      const queued = job.status === "queued";
      this.#insertRow(
        job.id,
        `INSERT INTO jobs (seq, id, runner, caller_id, context_id, status, queue_seq, run_after,
          lease_until, deadline_at, waiting, finished_at, keep_age, data, result)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        job.seq,
        job.id,
        job.runner,
        job.caller_id ?? null,
        job.context_id ?? null,
        ...this.#columns(job, queued ? queueKey(job.priority, this.#queueSeq + 1) : null),
      );
      // A long payload in a table of its own, written once: a transition rewrites its job's
      // row, and with the payload in it, all of it (measured, a 100 KB payload: 732 µs and
      // 108.6 KiB of WAL a transition, against 67 µs and 4.1 KiB).
      if (job.payload !== undefined && job.payload.length > INLINE_PAYLOAD) {
        this.#run("INSERT INTO job_payloads (seq, payload) VALUES (?, ?)", job.seq, job.payload);
      }
      this.#jobSeq = job.seq;
      if (queued) this.#queueSeq++;
      if (job.dedup_key !== undefined && job.dedup_until !== undefined) {
        this.#run(
          "INSERT OR REPLACE INTO dedup (key, job_id, until) VALUES (?, ?, ?)",
          job.dedup_key,
          job.id,
          job.dedup_until,
        );
      }
      for (const dep of job.depends_on ?? []) {
        this.#run(
          "INSERT OR IGNORE INTO deps (prerequisite, dependant) VALUES (?, ?)",
          dep,
          job.id,
        );
      }
      return job;
    }
  }

  getJob(id: string, read: JobRead = {}): Promise<JobRecord | null> {
    if (read.result !== false) return Promise.resolve(this.#readJob(id));
    const row = read.payload === false
      ? this.#get("SELECT data FROM jobs WHERE id = ?", id)
      : this.#get(`SELECT data, payload ${FROM_JOBS} WHERE id = ?`, id);
    if (!row) return Promise.resolve(null);
    const job: JobRecord = this.#parseJob(row);
    delete job.result; // a row written before results were kept apart
    return Promise.resolve(job);
  }

  getJobs(ids: readonly string[]): Promise<(JobRecord | null)[]> {
    return Promise.resolve(ids.map((id) => this.#readJob(id)));
  }

  listJobs(query: JobQuery): Promise<JobRecord[]> {
    const where: string[] = [];
    const args: SQLInputValue[] = [];
    for (
      const key of ["status", "runner", "caller_id", "context_id"] as const
    ) {
      if (query[key] !== undefined) {
        where.push(`${key} = ?`);
        args.push(query[key]!);
      }
    }
    if (query.beforeSeq !== undefined) {
      where.push("seq < ?");
      args.push(query.beforeSeq);
    }
    const sql = `SELECT ${FULL_JOB} ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
      ORDER BY seq DESC LIMIT ?`;
    return Promise.resolve(
      this.#all(sql, ...args, query.limit).map((r) => this.#parseJob(r)),
    );
  }

  countJobs(): Promise<JobCounts> {
    const rows = this.#all(
      "SELECT status, COUNT(*) AS n FROM jobs GROUP BY status",
    );
    return Promise.resolve(
      jobCounts(rows.map((r) => [r.status as string, Number(r.n)])),
    );
  }

  deleteJob(id: string, from: readonly JobStatus[]): Promise<TransitionResult> {
    return this.#group((): TransitionResult => {
      const job = this.#readJob(id);
      if (!job) return { ok: false, reason: "missing" };
      if (!from.includes(job.status)) {
        return { ok: false, reason: "status", job: jobState(job) };
      }
      this.#remove(job);
      return { ok: true, job: jobState(job) };
    });
  }

  /** Removes a job, its logs, its dependency rows and its dedup key. */
  #remove(job: JobRecord): void {
    this.#run("DELETE FROM job_payloads WHERE seq = (SELECT seq FROM jobs WHERE id = ?)", job.id);
    this.#run("DELETE FROM jobs WHERE id = ?", job.id);
    this.#run("DELETE FROM deps WHERE dependant = ?", job.id);
    if (job.dedup_key !== undefined) {
      this.#run("DELETE FROM dedup WHERE key = ? AND job_id = ?", job.dedup_key, job.id);
    }
    this.#deleteSeq(`log:${job.id}`);
  }

  sweepExpired(now: number, ages: KeepAges, limit: number): Promise<number> {
    return this.#group(() => {
      const rows = this.#all(
        `SELECT data FROM jobs WHERE keep_age IS NOT NULL AND finished_at + keep_age <= ?
           LIMIT ?`,
        now,
        limit,
      );
      for (const status of FINAL_STATUSES) {
        const age = status === "completed" ? ages.completed : ages.failed;
        if (age === undefined || rows.length >= limit) continue;
        rows.push(
          ...this.#all(
            `SELECT data FROM jobs WHERE status = ? AND finished_at IS NOT NULL
               AND finished_at <= ? AND keep_age IS NULL LIMIT ?`,
            status,
            now - age,
            limit - rows.length,
          ),
        );
      }
      // Without their results: removing a job needs none of it.
      for (const row of rows) this.#remove(JSON.parse(row.data as string));
      return rows.length;
    });
  }

  trimStatus(status: JobStatus, keep: number, limit: number): Promise<number> {
    return this.#group(() => {
      const total = Number(
        this.#get("SELECT COUNT(*) AS n FROM jobs WHERE status = ?", status)?.n ?? 0,
      );
      const excess = Math.min(total - keep, limit);
      if (excess <= 0) return 0;
      const rows = this.#all(
        "SELECT data FROM jobs WHERE status = ? ORDER BY seq LIMIT ?",
        status,
        excess,
      );
      for (const row of rows) this.#remove(JSON.parse(row.data as string));
      return rows.length;
    });
  }

  transition(id: string, change: Transition): Promise<TransitionResult> {
    let final: Notice | null = null;
    return this.#group(() => {
      const [result, was] = this.#transition(id, change);
      if (result.ok && isFinal(result.job.status) && was && !isFinal(was)) {
        const dependants = !!this.#get(
          "SELECT 1 AS x FROM deps WHERE prerequisite = ? LIMIT 1",
          id,
        );
        final = finalNotice(id, change, dependants);
      }
      return result;
    }, () => {
      // Told once it is committed: whoever hears it reads what it says.
      if (final) this.notices.deliver(final);
    });
  }

  #transition(id: string, change: Transition): [TransitionResult, JobStatus?] {
    const row = this.#get("SELECT data, result, queue_seq FROM jobs WHERE id = ?", id);
    if (!row) return [{ ok: false, reason: "missing" }];
    const job: JobRecord = this.#parseJob(row);
    if (!change.from.includes(job.status)) {
      return [{ ok: false, reason: "status", job: jobState(job) }];
    }
    if (change.worker !== undefined && job.worker !== change.worker) {
      return [{ ok: false, reason: "worker", job: jobState(job) }];
    }
    if (
      change.leaseExpiredBy !== undefined &&
      (job.lease_until === undefined || job.lease_until > change.leaseExpiredBy)
    ) {
      return [{ ok: false, reason: "lease", job: jobState(job) }];
    }
    const wasStatus = job.status;
    const next: JobRecord = {
      ...job,
      ...change.set,
      status: change.to,
      updated_at: change.now,
    };
    for (const key of change.unset ?? []) delete next[key];
    if (wasStatus === "running" && change.to !== "running") {
      delete next.worker;
      delete next.lease_until;
      delete next.deadline_at;
    }
    const enqueue = change.to === "queued" && wasStatus !== "queued";
    this.#writeJob(
      next,
      enqueue ? queueKey(next.priority, ++this.#queueSeq) : row.queue_seq as number | null,
    );
    return [{ ok: true, job: jobState(next) }, wasStatus];
  }

  takeJobs(
    runner: string,
    max: number,
    worker: string,
    now: number,
    leaseUntil: number,
    timeoutGraceMs: number,
    rate?: RateLimit,
  ): Promise<JobRecord[]> {
    return this.#group(() => {
      let allowed = max;
      let window = 0;
      let used = 0;
      if (rate) {
        window = Math.floor(now / rate.perMs);
        const row = this.#get("SELECT window, used FROM rates WHERE runner = ?", runner);
        used = row && row.window === window ? Number(row.used) : 0;
        allowed = Math.max(0, Math.min(max, rate.max - used));
      }
      // A small limit is written into the statement, not bound: SQLite prepares a statement
      // again at every binding of a bound LIMIT (measured: this select 20-24 against 4-7 µs).
      // One statement per limit, up to 64; a larger take is worth the preparing.
      const literal = Number.isSafeInteger(allowed) && allowed <= 64;
      const rows = allowed === 0 ? [] : this.#all(
        `SELECT ${FULL_JOB} WHERE runner = ? AND status = 'queued'
           AND (run_after IS NULL OR run_after <= ?) ORDER BY queue_seq LIMIT ${
          literal ? allowed : "?"
        }`,
        runner,
        now,
        ...(literal ? [] : [allowed]),
      );
      if (rate) {
        if (rows.length) {
          this.#run(
            `INSERT INTO rates (runner, window, used) VALUES (?, ?, ?)
               ON CONFLICT (runner) DO UPDATE SET window = excluded.window, used = excluded.used`,
            runner,
            window,
            used + rows.length,
          );
        }
        // Held back by the limit (not by an empty queue): say when the next window opens.
        if (
          allowed < max && (rows.length === allowed) &&
          this.#get(
            `SELECT 1 AS x FROM jobs WHERE runner = ? AND status = 'queued'
               AND (run_after IS NULL OR run_after <= ?) LIMIT 1 OFFSET ?`,
            runner,
            now,
            rows.length,
          )
        ) {
          rate.limitedUntil = (window + 1) * rate.perMs;
        }
      }
      return rows.map((r) => {
        const job: JobRecord = this.#parseJob(r);
        const taken: JobRecord = {
          ...job,
          status: "running",
          attempts: job.attempts + 1,
          started_at: now,
          updated_at: now,
          worker,
          lease_until: leaseUntil,
          deadline_at: now + (job.timeout ?? 0) * 1000 + timeoutGraceMs,
        };
        delete taken.run_after;
        this.#writeJob(taken, null);
        return taken;
      });
    });
  }

  renewLeases(
    worker: string,
    ids: readonly string[],
    leaseUntil: number,
  ): Promise<string[]> {
    return this.#group(() => {
      const lost: string[] = [];
      for (const id of ids) {
        const job = this.#readJob(id);
        if (!job || job.status !== "running" || job.worker !== worker) {
          lost.push(id);
          continue;
        }
        this.#writeJob({ ...job, lease_until: leaseUntil }, null);
      }
      return lost;
    });
  }

  expiredLeases(now: number, limit: number): Promise<JobRecord[]> {
    return Promise.resolve(
      this.#all(
        `SELECT ${FULL_JOB} WHERE status = 'running' AND lease_until < ? LIMIT ?`,
        now,
        limit,
      ).map((r) => this.#parseJob(r)),
    );
  }

  overdueJobs(now: number, limit: number): Promise<JobRecord[]> {
    return Promise.resolve(
      this.#all(
        `SELECT ${FULL_JOB} WHERE status = 'running' AND deadline_at < ? LIMIT ?`,
        now,
        limit,
      ).map((r) => this.#parseJob(r)),
    );
  }

  promoteDelayed(now: number): Promise<string[]> {
    // Retries stay queued with their `run_after` (`takeJobs` skips them until then); scheduled
    // jobs whose time came are queued, at most a batch per call.
    return this.#group(() => {
      const runners = new Set<string>();
      for (
        const row of this.#all(
          `SELECT ${FULL_JOB} WHERE status = 'scheduled' AND run_after <= ?
             ORDER BY run_after LIMIT 1000`,
          now,
        )
      ) {
        const job: JobRecord = this.#parseJob(row);
        const next: JobRecord = { ...job, status: "queued", updated_at: now };
        delete next.run_after;
        this.#writeJob(next, queueKey(next.priority, ++this.#queueSeq));
        runners.add(job.runner);
      }
      return [...runners];
    });
  }

  queueDepths(): Promise<Record<string, number>> {
    const rows = this.#all(
      "SELECT runner, COUNT(*) AS n FROM jobs WHERE status = 'queued' GROUP BY runner",
    );
    return Promise.resolve(
      Object.fromEntries(rows.map((r) => [r.runner, Number(r.n)])),
    );
  }

  dependantsOf(id: string): Promise<string[]> {
    return Promise.resolve(
      this.#all("SELECT dependant FROM deps WHERE prerequisite = ?", id).map((
        r,
      ) => r.dependant as string),
    );
  }

  waitingJobs(limit: number): Promise<string[]> {
    return Promise.resolve(
      this.#all(
        "SELECT id FROM jobs WHERE waiting = 1 ORDER BY seq LIMIT ?",
        limit,
      ).map((r) => r.id as string),
    );
  }

  waitForWork(
    _runner: string,
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<void> {
    // One process owns the embedded store: wake-ups are in-process, so this only paces polling.
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      signal.addEventListener("abort", done, { once: true });
      function done() {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      }
    });
  }

  // ---- bounded sequences -------------------------------------------------------

  // A sequence is kept in chunks, one row per append (its items' text: `seq_chunk.ts`):
  // a batch of log lines is one insert, not one per line. Trimming drops whole chunks
  // below the first kept `seq`; reads skip what is below it in a chunk that stays.

  appendSeq(
    key: string,
    items: readonly SeqItem[] | SeqColumns,
    keep: number,
  ): Promise<number> {
    if (items.length === 0) return Promise.resolve(0);
    return this.#group(() => {
      const head = this.#get(
        "SELECT last, first FROM seq_heads WHERE key = ?",
        key,
      );
      const start = (head ? Number(head.last) : 0) + 1;
      const last = start + items.length - 1;
      let first = head ? Number(head.first) : 1;
      this.#run(
        "INSERT INTO seq_chunks (key, first, last, items) VALUES (?, ?, ?, ?)",
        key,
        start,
        last,
        encodeChunk(items),
      );
      if (last - first + 1 > keep) {
        first = last - keep + 1;
        // `first < ?` keeps the delete to the start of the key's chunks (the index's order):
        // a condition on `last` alone would read every chunk of the key on every append.
        this.#run(
          "DELETE FROM seq_chunks WHERE key = ?1 AND first < ?2 AND last < ?2",
          key,
          first,
        );
      }
      this.#run(
        `INSERT INTO seq_heads (key, last, first) VALUES (?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET last = excluded.last, first = excluded.first`,
        key,
        last,
        first,
      );
      return start;
    });
  }

  readSeq<T extends SeqItem>(
    key: string,
    after: number,
    limit: number,
  ): Promise<SeqPage<T>> {
    const head = this.#get(
      "SELECT last, first FROM seq_heads WHERE key = ?",
      key,
    );
    if (!head) return Promise.resolve({ items: [], last: 0, dropped: 0 });
    const from = Math.max(after + 1, Number(head.first));
    const items: (T & { seq: number })[] = [];
    // From the chunk holding `from` on, both found through the index (key, first).
    const chunks = this.#stmt(
      `SELECT first, items FROM seq_chunks WHERE key = ?1 AND first >= (
         SELECT COALESCE(MAX(first), 0) FROM seq_chunks WHERE key = ?1 AND first <= ?2
       ) ORDER BY first`,
    ).iterate(key, from) as Iterable<Row>;
    for (const chunk of chunks) {
      const start = Number(chunk.first);
      const all = decodeChunk<T & { seq: number }>(chunk.items as string);
      for (
        let i = Math.max(0, from - start);
        i < all.length && items.length < limit;
        i++
      ) {
        all[i].seq = start + i;
        items.push(all[i]);
      }
      if (items.length >= limit) break;
    }
    return Promise.resolve({
      items,
      last: Number(head.last),
      dropped: Number(head.first) - 1,
    });
  }

  #deleteSeq(key: string): void {
    this.#run("DELETE FROM seq_chunks WHERE key = ?", key);
    this.#run("DELETE FROM seq_heads WHERE key = ?", key);
  }

  deleteSeq(key: string): Promise<void> {
    return this.#group(() => this.#deleteSeq(key));
  }

  // ---- secrets, runners, agents ------------------------------------------------

  listSecrets(): Promise<SecretRecord[]> {
    return Promise.resolve(
      this.#all("SELECT data FROM secrets").map((r) => JSON.parse(r.data as string)),
    );
  }

  putSecret(secret: SecretRecord): Promise<boolean> {
    return this.#group(() =>
      this.#run(
        "INSERT OR IGNORE INTO secrets (hash, data) VALUES (?, ?)",
        secret.hash,
        JSON.stringify(secret),
      ) === 1
    );
  }

  deleteSecret(hash: string): Promise<boolean> {
    return this.#group(() => this.#run("DELETE FROM secrets WHERE hash = ?", hash) === 1);
  }

  listRunnerConfigs(): Promise<RunnerConfig[]> {
    return Promise.resolve(
      this.#all("SELECT data FROM runners ORDER BY name").map((r) => JSON.parse(r.data as string)),
    );
  }

  putRunnerConfig(config: RunnerConfig): Promise<void> {
    return this.#group(() => {
      this.#run(
        `INSERT INTO runners (name, data) VALUES (?, ?)
         ON CONFLICT (name) DO UPDATE SET data = excluded.data`,
        config.name,
        JSON.stringify(config),
      );
    });
  }

  deleteRunnerConfig(name: string): Promise<void> {
    return this.#group(() => {
      this.#run("DELETE FROM runners WHERE name = ?", name);
    });
  }

  heartbeatAgent(
    config: RunnerConfig,
    agent: string,
    until: number,
  ): Promise<void> {
    return this.#group(() => {
      this.#run(
        `INSERT INTO agents (runner, agent, until) VALUES (?, ?, ?)
         ON CONFLICT (runner, agent) DO UPDATE SET until = excluded.until`,
        config.name,
        agent,
        until,
      );
      this.#run(
        `INSERT INTO agent_runners (name, data) VALUES (?, ?)
         ON CONFLICT (name) DO UPDATE SET data = excluded.data`,
        config.name,
        JSON.stringify(config),
      );
    });
  }

  agentRunners(): Promise<RunnerConfig[]> {
    return Promise.resolve(
      this.#all("SELECT data FROM agent_runners ORDER BY name").map((r) =>
        JSON.parse(r.data as string)
      ),
    );
  }

  removeAgent(runner: string, agent: string): Promise<void> {
    return this.#group(() => {
      this.#run(
        "DELETE FROM agents WHERE runner = ? AND agent = ?",
        runner,
        agent,
      );
    });
  }

  liveAgents(runner: string, now: number): Promise<string[]> {
    return Promise.resolve(
      this.#all(
        "SELECT agent FROM agents WHERE runner = ? AND until >= ?",
        runner,
        now,
      ).map((r) => r.agent as string),
    );
  }

  heartbeatMember(member: MemberRecord): Promise<void> {
    return this.#group(() => {
      this.#run(
        `INSERT INTO members (id, data) VALUES (?, ?)
         ON CONFLICT (id) DO UPDATE SET data = excluded.data`,
        member.id,
        JSON.stringify(member),
      );
    });
  }

  listMembers(): Promise<MemberRecord[]> {
    return Promise.resolve(
      this.#all("SELECT data FROM members ORDER BY id").map((r) => JSON.parse(r.data as string)),
    );
  }

  removeMember(id: string): Promise<void> {
    return this.#group(() => {
      this.#run("DELETE FROM members WHERE id = ?", id);
    });
  }

  putSchedule(schedule: ScheduleRecord, create: boolean): Promise<boolean> {
    return this.#group(() => {
      const { last_tick, runs, ...spec } = schedule;
      if (create) {
        if (this.#get("SELECT 1 AS x FROM schedules WHERE name = ?", schedule.name)) return false;
        this.#run(
          "INSERT INTO schedules (name, data, last_tick, runs) VALUES (?, ?, ?, ?)",
          schedule.name,
          JSON.stringify(spec),
          last_tick,
          JSON.stringify(runs),
        );
        return true;
      }
      // The spec only: its ticks are `advanceSchedule`'s.
      if (!this.#get("SELECT 1 AS x FROM schedules WHERE name = ?", schedule.name)) return false;
      this.#run(
        "UPDATE schedules SET data = ? WHERE name = ?",
        JSON.stringify(spec),
        schedule.name,
      );
      return true;
    });
  }

  #schedule(row: Row | undefined): ScheduleRecord | null {
    if (!row) return null;
    return {
      ...JSON.parse(row.data as string),
      last_tick: row.last_tick as number,
      runs: JSON.parse(row.runs as string),
    };
  }

  getSchedule(name: string): Promise<ScheduleRecord | null> {
    return Promise.resolve(
      this.#schedule(this.#get("SELECT * FROM schedules WHERE name = ?", name)),
    );
  }

  listSchedules(): Promise<ScheduleRecord[]> {
    return Promise.resolve(
      this.#all("SELECT * FROM schedules ORDER BY name").map((r) => this.#schedule(r)!),
    );
  }

  deleteSchedule(name: string): Promise<boolean> {
    return this.#group(() => {
      const had = !!this.#get("SELECT 1 AS x FROM schedules WHERE name = ?", name);
      this.#run("DELETE FROM schedules WHERE name = ?", name);
      return had;
    });
  }

  advanceSchedule(
    name: string,
    from: number,
    to: number,
    run: ScheduleRun | null,
  ): Promise<boolean> {
    return this.#group(() => {
      const row = this.#get("SELECT last_tick, runs FROM schedules WHERE name = ?", name);
      if (!row || row.last_tick !== from) return false;
      const runs = run
        ? [run, ...JSON.parse(row.runs as string)].slice(0, SCHEDULE_RUNS_KEPT)
        : JSON.parse(row.runs as string);
      this.#run(
        "UPDATE schedules SET last_tick = ?, runs = ? WHERE name = ?",
        to,
        JSON.stringify(runs),
        name,
      );
      return true;
    });
  }
}
