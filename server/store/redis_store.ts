/**
 * The shared store: Redis through `npm:redis`.
 *
 * Several supervisors and remote runner agents can share one Redis. Every
 * job change is one Lua script (`redis_scripts.ts`), so it is atomic; every
 * key is named by `redis_keys.ts`. When Redis goes away, calls fail at once
 * with {@linkcode StoreUnavailableError} (no offline queue that would hang the
 * caller), and the client reconnects by itself.
 *
 * @module
 */

import { createClient, createSentinel, ErrorReply } from "redis";
import type { JobCounts, JobStatus, RunnerConfig } from "../../shared/types.generated.ts";
import { type Notice, NoticeBus } from "./notices.ts";
import { LogBatch } from "../logs/log_batch.ts";
import { decodeChunk, encodeChunk, type SeqColumns } from "./seq_chunk.ts";
import {
  decodeFields,
  decodeJob,
  encodeSpec,
  encodeState,
  FIELDS_BUT_RESULT,
} from "./redis_codec.ts";
import { RedisKeys } from "./redis_keys.ts";
import {
  ADVANCE_SCHEDULE,
  APPEND_SEQ,
  COUNT_JOBS,
  DELETE_JOB,
  DUE_JOBS,
  INSERT_JOBS,
  type LuaScript,
  MIGRATE_QUEUES,
  PROMOTE_DELAYED,
  PUT_SCHEDULE,
  READ_SEQ,
  RENEW_LEASES,
  SWEEP_JOBS,
  TAKE_JOBS,
  TRANSITIONS,
  TRIM_STATUS,
} from "./redis_scripts.ts";
import { withDeadline } from "../util/with_deadline.ts";
import { Batcher } from "./batcher.ts";
import {
  DuplicateJobError,
  FINAL_STATUSES,
  finalNotice,
  isFinal,
  jobCounts,
  type JobQuery,
  type JobRead,
  type JobRecord,
  type JobState,
  type KeepAges,
  keepFields,
  type MemberRecord,
  type RateLimit,
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

type RedisClient = ReturnType<typeof createClient>;

const ALL_STATUSES: JobStatus[] = [
  "created",
  "scheduled",
  "queued",
  "running",
  ...FINAL_STATUSES,
];
const RESULT_REASONS = ["missing", "status", "worker", "lease"] as const;

/**
 * A transition's result as the script answers it (JSON):
 * [code, status, runner, attempts, run_after, error, previous, dependants].
 */
type TransitionReply = [
  code: number,
  status?: string,
  runner?: string,
  attempts?: number | null,
  runAfter?: number | null,
  error?: string | null,
  previous?: string,
  dependants?: number,
];

function replyResult(id: string, reply: TransitionReply): TransitionResult {
  const [code, status, runner, attempts, runAfter, error] = reply;
  if (code === 0) return { ok: false, reason: "missing" };
  const job: JobState = {
    id,
    runner: runner!,
    status: status as JobStatus,
    attempts: attempts ?? 0,
  };
  if (runAfter != null) job.run_after = runAfter;
  if (error != null) job.error = error;
  return code === 4 ? { ok: true, job } : {
    ok: false,
    reason: RESULT_REASONS[code] as "status" | "worker" | "lease",
    job,
  };
}

/** An insert not acknowledged yet (see `RedisStore.#unacked`). */
interface Unacked {
  /** Settles once the insert's command is on its connection. */
  sent: Promise<void>;
  markSent: () => void;
  /** Settles once the insert is answered, either way. */
  settled?: Promise<unknown>;
}

/** Options of {@linkcode RedisStore.connect}. */
export interface RedisStoreOptions {
  url: string;
  namespace: string;
  /** Names this process in the notices it sends (so it skips its own). */
  origin: string;
  /** How long the first connection may take before giving up, ms (default 5000). */
  connectTimeoutMs?: number;
  /**
   * How long Redis may take to answer, ms (default 5000): past it the call
   * fails and the connection is made again, so a frozen Redis (SIGSTOP, a
   * partition) never hangs a call. Longer than the 1 s blocking waits.
   */
  commandTimeoutMs?: number;
  /**
   * Replicas that must have a new job before its creation is answered
   * (`WAIT`; 0: the master's answer is enough). Short of them within
   * `waitTimeoutMs` the call fails (-32003), saying how many had it.
   */
  waitReplicas?: number;
  waitTimeoutMs?: number;
}

/** The Redis-backed store. */
export class RedisStore implements Store {
  readonly kind = "redis" as const;
  readonly location: string;
  readonly notices = new NoticeBus();
  readonly keys: RedisKeys;
  readonly #namespace: string;
  readonly #origin: string;
  readonly #client: RedisClient;
  /**
   * Connections for the runner side (take, finish, renew, append), apart from
   * the first: a big batch of inserts there never holds up jobs that are done.
   * Two, used in turn: while Redis runs a batch that came on one, this process
   * handles what came back on the other, so neither waits for the other.
   */
  readonly #workers: RedisClient[];
  #turn = 0;
  readonly #subscriber: RedisClient;
  readonly #blocking = new Map<string, RedisClient>();
  /** Shared with the reconnect strategy, which runs before the store exists. */
  readonly #state: { connected: boolean; closed: boolean };
  readonly #inserts = new Batcher<Omit<JobRecord, "seq">, number | string>(
    (jobs) => this.#insertMany(jobs),
    500,
    2,
  );
  /**
   * Inserts not acknowledged yet, by job id, each with a promise that settles
   * once its command is on its connection: a job may start (and end) before
   * its record is acknowledged, and its transitions then follow the insert on
   * that same connection, which Redis runs in order.
   */
  readonly #unacked = new Map<string, Unacked>();
  readonly #transitions = new Batcher<[string, Transition], TransitionReply>(
    (changes) => this.#transitionsOn(changes, this.#worker()),
    500,
    2,
  );
  /** Transitions that must follow an insert: on the inserts' connection. */
  readonly #followingInserts = new Batcher<
    [string, Transition],
    TransitionReply
  >(
    (changes) => this.#transitionsOn(changes, this.#client),
    500,
    2,
  );

  readonly #options: RedisStoreOptions;
  /** Where Sentinel is, when the URL names it (else a plain client is used). */
  readonly #sentinel: SentinelAddress | null;

  private constructor(
    client: RedisClient,
    workers: RedisClient[],
    subscriber: RedisClient,
    options: RedisStoreOptions,
    state: { connected: boolean; closed: boolean },
  ) {
    this.#state = state;
    this.#client = client;
    this.#workers = workers;
    this.#subscriber = subscriber;
    this.#namespace = options.namespace;
    this.#origin = options.origin;
    this.#options = options;
    // Read once: `#send` asks on every raw command (a job's read among them).
    this.#sentinel = parseSentinelUrl(options.url);
    this.keys = new RedisKeys(options.namespace);
    this.location = redactUrl(options.url);
  }

  /** Connects (waiting up to `connectTimeoutMs` for Redis) and subscribes to notices. */
  static async connect(options: RedisStoreOptions): Promise<RedisStore> {
    const deadline = Date.now() + (options.connectTimeoutMs ?? 5000);
    const state = { connected: false, closed: false };
    const reconnectStrategy = (retries: number) => {
      // Before the first connection, give up at the deadline; after it, retry forever.
      if (!state.connected && Date.now() > deadline) {
        return new Error(
          `cannot connect to Redis at ${redactUrl(options.url)}`,
        );
      }
      return state.closed ? false : Math.min(50 * 2 ** retries, 1000);
    };
    const sentinel = parseSentinelUrl(options.url);
    let client: RedisClient;
    let workers: RedisClient[];
    let subscriber: RedisClient;
    if (sentinel) {
      // One pooled Sentinel client (node-redis) follows the master through failovers: it
      // serves the calls, the runner side and the notices (its pub/sub has a client of its own).
      client = newSentinel(sentinel, options);
      workers = [client];
      subscriber = client;
    } else {
      client = createClient({
        url: options.url,
        disableOfflineQueue: true,
        // The read deadline below also runs on an idle connection (the notices' subscriber is
        // idle by nature): a ping keeps each one answering, and finds a frozen Redis out.
        pingInterval: pingIntervalOf(options),
        socket: {
          reconnectStrategy,
          connectTimeout: 2000,
          // A read deadline: data expected (an answer) and none within it.
          socketTimeout: Math.max(options.commandTimeoutMs ?? 5000, 1500),
        },
      });
      workers = [client.duplicate(), client.duplicate()];
      subscriber = client.duplicate();
    }
    const store = new RedisStore(client, workers, subscriber, options, state);
    const all = [...new Set([client, ...workers, subscriber])];
    for (const c of all) c.on("error", () => {/* reported per call */});
    try {
      await withDeadline(
        Math.max(deadline - Date.now(), 100),
        () => Promise.all(all.map((c) => c.connect())),
        `cannot connect to Redis at ${redactUrl(options.url)}`,
      );
    } catch (error) {
      await Promise.allSettled(all.map((c) => c.destroy()));
      throw new StoreUnavailableError(
        `cannot connect to Redis at ${store.location}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    state.connected = true;
    // Back after a drop, subscribed again ("ready" comes once the client has resubscribed):
    // what was published meanwhile never comes. After a failover (Sentinel), the same, told
    // as soon as the client knows the new master.
    const resumed = () => {
      if (!state.closed) store.notices.deliver({ type: "notices.resumed" });
    };
    if (sentinel) {
      (subscriber as unknown as SentinelClient).on("topology-change", (event) => {
        if (event.type === "MASTER_CHANGE") resumed();
      });
    } else {
      subscriber.on("ready", resumed);
    }
    await subscriber.subscribe(
      store.keys.key("notices"),
      (message) => store.#onNotice(message),
    );
    store.notices.setRemote((notice) => store.#publish(notice));
    await store.#eval(MIGRATE_QUEUES, []);
    return store;
  }

  #onNotice(message: string): void {
    const bar = message.indexOf("|");
    if (message.slice(0, bar) === this.#origin) return;
    try {
      const notice = JSON.parse(message.slice(bar + 1));
      if (notice.type === "jobs.final") {
        // The transitions script announces a batch of ends at once.
        for (
          const job of notice.jobs as {
            id: string;
            status: JobStatus;
            dependants: boolean;
          }[]
        ) {
          this.notices.deliver({ type: "job.final", ...job });
        }
      } else if (notice.type === "logs") {
        // Sent as the array of lines; held by columns here (and dropped if they do not follow on).
        const lines = Array.isArray(notice.lines) ? LogBatch.of(notice.lines) : null;
        if (lines && typeof notice.id === "string") {
          this.notices.deliver({ type: "logs", id: notice.id, lines });
        }
      } else {
        this.notices.deliver(notice as Notice);
      }
    } catch {
      // A malformed notice from a foreign process is ignored rather than trusted.
    }
  }

  async #publish(notice: Notice): Promise<void> {
    await this.#guard(
      this.#client.publish(
        this.keys.key("notices"),
        `${this.#origin}|${JSON.stringify(notice)}`,
      ),
    );
  }

  /** The runner-side connection whose turn it is. */
  #worker(): RedisClient {
    this.#turn = (this.#turn + 1) % this.#workers.length;
    return this.#workers[this.#turn];
  }

  /** Maps connection failures to {@linkcode StoreUnavailableError}; Redis replies stay errors. */
  async #guard<T>(promise: Promise<T>): Promise<T> {
    try {
      return await promise;
    } catch (error) {
      if (
        error instanceof ErrorReply &&
        !/^(LOADING|BUSY|MASTERDOWN|TRYAGAIN)/.test(error.message)
      ) {
        throw error;
      }
      throw new StoreUnavailableError(
        `the store (Redis at ${this.location}) is unavailable: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }

  /** A raw command: a Sentinel client takes it with a flag first (whether it only reads). */
  #send(client: RedisClient, args: string[]): Promise<unknown> {
    return this.#sentinel
      ? (client as unknown as SentinelClient).sendCommand(false, args)
      : client.sendCommand(args);
  }

  /** Runs a script by its SHA, loading it on the first NOSCRIPT (e.g. after a Redis restart). */
  async #eval(
    script: LuaScript,
    args: (string | number)[],
    client: RedisClient = this.#client,
  ): Promise<unknown> {
    const argv = [this.#namespace, ...args.map(String)];
    try {
      return await this.#guard(
        client.evalSha(script.sha, { keys: [], arguments: argv }),
      );
    } catch (error) {
      if (
        !(error instanceof ErrorReply) || !error.message.startsWith("NOSCRIPT")
      ) throw error;
      return await this.#guard(
        client.eval(script.source, { keys: [], arguments: argv }),
      );
    }
  }

  async ping(): Promise<void> {
    await this.#guard(this.#client.ping());
  }

  async close(): Promise<void> {
    if (this.#state.closed) return;
    this.#state.closed = true;
    const clients = new Set([
      this.#client,
      ...this.#workers,
      this.#subscriber,
      ...this.#blocking.values(),
    ]);
    await Promise.allSettled([...clients].map((c) => c.destroy()));
  }

  // ---- jobs ------------------------------------------------------------------

  async insertJob(input: Omit<JobRecord, "seq">): Promise<JobRecord> {
    // Only a job stored as running (direct dispatch) can change before its insert is back.
    if (input.status !== "running") return this.#insert(input);
    let markSent!: () => void;
    const pending: Unacked = {
      sent: new Promise<void>((r) => (markSent = r)),
      markSent,
    };
    this.#unacked.set(input.id, pending);
    try {
      const call = this.#insert(input);
      pending.settled = call.catch(() => {});
      return await call;
    } finally {
      pending.markSent();
      if (this.#unacked.get(input.id) === pending) {
        this.#unacked.delete(input.id);
      }
    }
  }

  async #insert(input: Omit<JobRecord, "seq">): Promise<JobRecord> {
    const seq = await this.#inserts.call(input);
    if (seq === 0) throw new DuplicateJobError(input.id);
    if (typeof seq === "string") return await this.#holder(seq, input);
    return { ...input, seq };
  }

  /** The job that holds a `dedup_key` (or, deleted meanwhile, an error saying so). */
  async #holder(id: string, input: Omit<JobRecord, "seq">): Promise<JobRecord> {
    const holder = await this.getJob(id);
    if (!holder) throw new DuplicateJobError(input.id);
    return holder;
  }

  async insertJobs(jobs: readonly Omit<JobRecord, "seq">[]): Promise<JobRecord[]> {
    if (jobs.length === 0) return [];
    const reply = await this.#eval(INSERT_JOBS, [JSON.stringify(this.#rows(jobs)), "1"]) as (
      | number
      | string
    )[];
    await this.#replicated(this.#client);
    const dup = reply.indexOf(0);
    if (dup >= 0) throw new DuplicateJobError(jobs[dup].id);
    return await Promise.all(
      reply.map((seq, i) =>
        typeof seq === "string" ? this.#holder(seq, jobs[i]) : { ...jobs[i], seq }
      ),
    );
  }

  #rows(jobs: readonly Omit<JobRecord, "seq">[]): unknown[] {
    return jobs.map((job) => [
      job.id,
      job.runner,
      job.status,
      job.caller_id ?? "",
      job.context_id ?? "",
      job.waiting_on?.length ? 1 : 0,
      job.depends_on ?? [],
      [
        "spec",
        encodeSpec(job),
        "timeout",
        String(job.timeout ?? 0),
        ...(job.priority ? ["priority", String(job.priority)] : []),
        ...keepFields(job),
        ...encodeState(job),
      ],
      job.priority ?? 0,
      job.run_after ?? 0,
      job.dedup_key ?? "",
      job.dedup_until ?? 0,
    ]);
  }

  async #insertMany(jobs: Omit<JobRecord, "seq">[]): Promise<(number | string)[]> {
    // One JSON argument for the whole batch: per job, no encoding of a dozen arguments here
    // and no parsing of them in Redis.
    const rows = this.#rows(jobs);
    const reply = this.#eval(INSERT_JOBS, [JSON.stringify(rows), "0"]);
    // The command is on the connection now (#eval sends before its first await).
    if (this.#unacked.size) {
      for (const job of jobs) this.#unacked.get(job.id)?.markSent();
    }
    const out = await reply as (number | string)[];
    await this.#replicated(this.#client);
    return out;
  }

  /**
   * With `waitReplicas`: waits until that many replicas have every write
   * made so far on `client` (the inserts just made), or fails saying how many do.
   */
  async #replicated(client: RedisClient): Promise<void> {
    const want = this.#options.waitReplicas ?? 0;
    if (want <= 0) return;
    const timeout = this.#options.waitTimeoutMs ?? 1000;
    const have = Number(
      await this.#guard(this.#send(client, ["WAIT", String(want), String(timeout)])),
    );
    if (have < want) {
      throw new StoreUnavailableError(
        `the job is on the Redis master but on ${have} of the ${want} replicas asked for ` +
          `(redis_wait_replicas) after ${timeout} ms: not acknowledged`,
      );
    }
  }

  async getJob(id: string, read: JobRead = {}): Promise<JobRecord | null> {
    if (read.result === false) {
      const values = await this.#guard(
        this.#send(this.#client, ["HMGET", this.keys.job(id), ...FIELDS_BUT_RESULT]),
      ) as (string | null)[];
      return decodeFields(FIELDS_BUT_RESULT, values);
    }
    const hash = await this.#guard(
      this.#send(this.#client, ["HGETALL", this.keys.job(id)]),
    ) as string[];
    return hash.length ? decodeJob(hash) : null;
  }

  async getJobs(ids: readonly string[]): Promise<(JobRecord | null)[]> {
    return await Promise.all(ids.map((id) => this.getJob(id)));
  }

  async listJobs(query: JobQuery): Promise<JobRecord[]> {
    const indexes: string[] = [];
    if (query.status) indexes.push(this.keys.byStatus(query.status));
    if (query.runner) indexes.push(this.keys.key("jobsByRunner", query.runner));
    if (query.caller_id) {
      indexes.push(this.keys.key("jobsByCaller", query.caller_id));
    }
    if (query.context_id) {
      indexes.push(this.keys.key("jobsByContext", query.context_id));
    }
    if (indexes.length === 0) indexes.push(this.keys.key("jobsAll"));
    // Walk the smallest index newest first; check the other filters on each job.
    const sizes = await Promise.all(
      indexes.map((k) => this.#guard(this.#client.zCard(k))),
    );
    const index = indexes[sizes.indexOf(Math.min(...sizes))];
    const out: JobRecord[] = [];
    let max = query.beforeSeq !== undefined ? `(${query.beforeSeq}` : "+inf";
    const chunk = Math.max(query.limit, 50);
    while (out.length < query.limit) {
      const ids = await this.#guard(
        this.#client.zRange(index, max, "-inf", {
          BY: "SCORE",
          REV: true,
          LIMIT: { offset: 0, count: chunk },
        }),
      );
      if (ids.length === 0) break;
      const jobs = await this.getJobs(ids);
      for (const job of jobs) {
        if (!job) continue;
        max = `(${job.seq}`;
        if (query.status && job.status !== query.status) continue;
        if (query.runner && job.runner !== query.runner) continue;
        if (query.caller_id && job.caller_id !== query.caller_id) continue;
        if (query.context_id && job.context_id !== query.context_id) continue;
        out.push(job);
        if (out.length === query.limit) break;
      }
      if (ids.length < chunk) break;
    }
    return out;
  }

  async countJobs(): Promise<JobCounts> {
    const counts = await this.#eval(COUNT_JOBS, ALL_STATUSES) as number[];
    return jobCounts(ALL_STATUSES.map((s, i) => [s, counts[i]]));
  }

  async deleteJob(
    id: string,
    from: readonly JobStatus[],
  ): Promise<TransitionResult> {
    return replyResult(
      id,
      await this.#eval(DELETE_JOB, [id, ...from]) as TransitionReply,
    );
  }

  async transition(id: string, change: Transition): Promise<TransitionResult> {
    const unacked = this.#unacked.get(id);
    let reply: TransitionReply;
    if (unacked) {
      // Its insert may not have reached Redis yet: follow it on its connection. Should it
      // still come second (its insert retried after a NOSCRIPT), "missing" changed nothing:
      // once the insert is through, try again.
      await unacked.sent;
      reply = await this.#followingInserts.call([id, change]);
      if (reply[0] === 0) {
        await unacked.settled;
        reply = await this.#transitions.call([id, change]);
      }
    } else {
      reply = await this.#transitions.call([id, change]);
    }
    const result = replyResult(id, reply);
    const [, , , , , , was, dependants] = reply;
    if (result.ok && isFinal(change.to) && was && !isFinal(was as JobStatus)) {
      // The script published it for other processes; this one hears it now.
      this.notices.deliver(finalNotice(id, change, dependants === 1));
    }
    return result;
  }

  async #transitionsOn(
    changes: [string, Transition][],
    client: RedisClient,
  ): Promise<TransitionReply[]> {
    const rows = changes.map(([id, change]) => [
      id,
      String(change.now),
      change.to,
      change.worker ?? "",
      change.leaseExpiredBy === undefined ? "" : String(change.leaseExpiredBy),
      change.from,
      encodeState(change.set ?? {}),
      change.unset ?? [],
    ]);
    // This process hears its own ends directly (`transition`): no need to send them to itself.
    const listening = this.#subscriber.isReady ? "1" : "0";
    const reply = await this.#eval(
      TRANSITIONS,
      [this.#origin, JSON.stringify(rows), listening],
      client,
    );
    return JSON.parse(reply as string);
  }

  async takeJobs(
    runner: string,
    max: number,
    worker: string,
    now: number,
    leaseUntil: number,
    timeoutGraceMs: number,
    rate?: RateLimit,
  ): Promise<JobRecord[]> {
    const reply = await this.#eval(TAKE_JOBS, [
      runner,
      max,
      worker,
      now,
      leaseUntil,
      timeoutGraceMs,
      ...(rate ? [rate.max, Math.round(rate.perMs)] : []),
    ], this.#worker());
    const taken = JSON.parse(reply as string) as [
      number,
      number,
      string | null,
      JobRecord,
    ][];
    const last = taken.at(-1) as unknown;
    if (last && !Array.isArray(last)) {
      taken.pop();
      if (rate) rate.limitedUntil = (last as { limited_until: number }).limited_until;
    }
    const jobs: JobRecord[] = new Array(taken.length);
    for (let i = 0; i < taken.length; i++) {
      const [seq, attempts, error, job] = taken[i];
      job.seq = seq;
      job.status = "running";
      job.attempts = attempts;
      job.updated_at = now;
      job.started_at = now;
      job.worker = worker;
      job.lease_until = leaseUntil;
      job.deadline_at = Math.floor(
        now + (job.timeout ?? 0) * 1000 + timeoutGraceMs,
      );
      if (error !== null) job.error = error;
      jobs[i] = job;
    }
    return jobs;
  }

  async renewLeases(
    worker: string,
    ids: readonly string[],
    leaseUntil: number,
  ): Promise<string[]> {
    // A job whose insert is not acknowledged yet holds a fresh lease, and may not be there yet.
    if (this.#unacked.size) ids = ids.filter((id) => !this.#unacked.has(id));
    if (ids.length === 0) return [];
    return await this.#eval(
      RENEW_LEASES,
      [worker, leaseUntil, ...ids],
      this.#worker(),
    ) as string[];
  }

  async expiredLeases(now: number, limit: number): Promise<JobRecord[]> {
    const due = await this.#eval(DUE_JOBS, [
      "lease_until",
      now,
      limit,
    ]) as string[][];
    return due.map(decodeJob);
  }

  async overdueJobs(now: number, limit: number): Promise<JobRecord[]> {
    const due = await this.#eval(DUE_JOBS, [
      "deadline_at",
      now,
      limit,
    ]) as string[][];
    return due.map(decodeJob);
  }

  async sweepExpired(now: number, ages: KeepAges, limit: number): Promise<number> {
    return Number(
      await this.#eval(SWEEP_JOBS, [
        now,
        limit,
        ages.completed ?? "",
        ages.failed ?? "",
      ]),
    );
  }

  async trimStatus(status: JobStatus, keep: number, limit: number): Promise<number> {
    return Number(await this.#eval(TRIM_STATUS, [status, keep, limit]));
  }

  async promoteDelayed(now: number): Promise<string[]> {
    return await this.#eval(PROMOTE_DELAYED, [now, 1000]) as string[];
  }

  async queueDepths(): Promise<Record<string, number>> {
    const runners = await this.#guard(
      this.#client.sMembers(this.keys.key("queueRunners")),
    );
    const depths = await Promise.all(
      runners.map((r) => this.#guard(this.#client.zCard(this.keys.queue(r)))),
    );
    return Object.fromEntries(runners.map((r, i) => [r, depths[i]]));
  }

  async dependantsOf(id: string): Promise<string[]> {
    return await this.#guard(
      this.#client.sMembers(this.keys.key("dependants", id)),
    );
  }

  async waitingJobs(limit: number): Promise<string[]> {
    return (await this.#guard(this.#client.sMembers(this.keys.key("waiting"))))
      .slice(0, limit);
  }

  async waitForWork(
    runner: string,
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<void> {
    if (signal.aborted || this.#state.closed) return;
    let conn = this.#blocking.get(runner);
    if (!conn) {
      // A connection of its own: the wait blocks it (a Sentinel client of its own likewise).
      conn = this.#sentinel
        ? newSentinel(this.#sentinel, this.#options, 1)
        : this.#client.duplicate();
      conn.on("error", () => {});
      this.#blocking.set(runner, conn);
      await this.#guard(conn.connect());
    }
    // BZPOPMIN cannot be cancelled: the timeout bounds how long an abort waits.
    await this.#guard(
      conn.bzPopMin(this.keys.marker(runner), Math.max(timeoutMs, 10) / 1000),
    );
  }

  // ---- bounded sequences -------------------------------------------------------

  async appendSeq(
    key: string,
    items: readonly SeqItem[] | SeqColumns,
    keep: number,
  ): Promise<number> {
    if (items.length === 0) return 0;
    // One chunk per append: Redis keeps (and trims) chunks, not items.
    const last = Number(
      await this.#eval(
        APPEND_SEQ,
        [key, keep, items.length, encodeChunk(items)],
        this.#worker(),
      ),
    );
    return last - items.length + 1;
  }

  async readSeq<T extends SeqItem>(
    key: string,
    after: number,
    limit: number,
  ): Promise<SeqPage<T>> {
    const [last, first, ...chunks] = await this.#eval(READ_SEQ, [
      key,
      after,
      limit,
    ]) as [
      number,
      number,
      ...(number | string)[],
    ];
    const from = Math.max(after + 1, first);
    const items: (T & { seq: number })[] = [];
    for (let c = 0; c < chunks.length && items.length < limit; c += 2) {
      const start = chunks[c] as number;
      const all = decodeChunk<T & { seq: number }>(chunks[c + 1] as string);
      for (
        let i = Math.max(0, from - start);
        i < all.length && items.length < limit;
        i++
      ) {
        all[i].seq = start + i;
        items.push(all[i]);
      }
    }
    return { items, last, dropped: first - 1 };
  }

  async deleteSeq(key: string): Promise<void> {
    await this.#guard(this.#client.del(this.keys.seq(key)));
  }

  // ---- secrets, runners, agents ------------------------------------------------

  async listSecrets(): Promise<SecretRecord[]> {
    const all = await this.#guard(
      this.#client.hGetAll(this.keys.key("secrets")),
    );
    return Object.values(all).map((text) => JSON.parse(text));
  }

  async putSecret(secret: SecretRecord): Promise<boolean> {
    return Boolean(
      await this.#guard(
        this.#client.hSetNX(
          this.keys.key("secrets"),
          secret.hash,
          JSON.stringify(secret),
        ),
      ),
    );
  }

  async deleteSecret(hash: string): Promise<boolean> {
    return (await this.#guard(
      this.#client.hDel(this.keys.key("secrets"), hash),
    )) === 1;
  }

  async listRunnerConfigs(): Promise<RunnerConfig[]> {
    const all = await this.#guard(
      this.#client.hGetAll(this.keys.key("runners")),
    );
    return Object.values(all).map((text) => JSON.parse(text) as RunnerConfig)
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async putRunnerConfig(config: RunnerConfig): Promise<void> {
    await this.#guard(
      this.#client.hSet(
        this.keys.key("runners"),
        config.name,
        JSON.stringify(config),
      ),
    );
  }

  async deleteRunnerConfig(name: string): Promise<void> {
    await this.#guard(this.#client.hDel(this.keys.key("runners"), name));
  }

  async heartbeatAgent(
    config: RunnerConfig,
    agent: string,
    until: number,
  ): Promise<void> {
    await Promise.all([
      this.#guard(
        this.#client.zAdd(this.keys.agents(config.name), {
          score: until,
          value: agent,
        }),
      ),
      this.#guard(
        this.#client.hSet(
          this.keys.key("agentRunners"),
          config.name,
          JSON.stringify(config),
        ),
      ),
    ]);
  }

  async agentRunners(): Promise<RunnerConfig[]> {
    const all = await this.#guard(
      this.#client.hGetAll(this.keys.key("agentRunners")),
    );
    return Object.values(all).map((text) => JSON.parse(text) as RunnerConfig)
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async removeAgent(runner: string, agent: string): Promise<void> {
    await this.#guard(this.#client.zRem(this.keys.agents(runner), agent));
  }

  async liveAgents(runner: string, now: number): Promise<string[]> {
    return await this.#guard(
      this.#client.zRange(this.keys.agents(runner), now, "+inf", {
        BY: "SCORE",
      }),
    );
  }

  async heartbeatMember(member: MemberRecord): Promise<void> {
    await this.#guard(
      this.#client.hSet(this.keys.key("members"), member.id, JSON.stringify(member)),
    );
  }

  async listMembers(): Promise<MemberRecord[]> {
    const all = await this.#guard(this.#client.hGetAll(this.keys.key("members")));
    return Object.values(all).map((text) => JSON.parse(text) as MemberRecord)
      .sort((a, b) => a.id.localeCompare(b.id));
  }

  async removeMember(id: string): Promise<void> {
    await this.#guard(this.#client.hDel(this.keys.key("members"), id));
  }

  async putSchedule(schedule: ScheduleRecord, create: boolean): Promise<boolean> {
    const { last_tick, runs: _runs, ...spec } = schedule;
    return Number(
      await this.#eval(PUT_SCHEDULE, [
        schedule.name,
        JSON.stringify(spec),
        String(last_tick),
        create ? "1" : "0",
      ]),
    ) === 1;
  }

  async getSchedule(name: string): Promise<ScheduleRecord | null> {
    const [spec, tick, runs] = await Promise.all([
      this.#guard(this.#client.hGet(this.keys.key("schedules"), name)),
      this.#guard(this.#client.hGet(this.keys.key("scheduleTicks"), name)),
      this.#guard(this.#client.lRange(this.keys.key("scheduleRuns", name), 0, -1)),
    ]);
    if (!spec) return null;
    return {
      ...JSON.parse(spec),
      last_tick: Number(tick ?? 0),
      runs: runs.map((r) => JSON.parse(r)),
    };
  }

  async listSchedules(): Promise<ScheduleRecord[]> {
    const names = await this.#guard(this.#client.hKeys(this.keys.key("schedules")));
    const all = await Promise.all(names.sort().map((n) => this.getSchedule(n)));
    return all.filter((s): s is ScheduleRecord => s !== null);
  }

  async deleteSchedule(name: string): Promise<boolean> {
    const removed = await this.#guard(this.#client.hDel(this.keys.key("schedules"), name));
    await Promise.all([
      this.#guard(this.#client.hDel(this.keys.key("scheduleTicks"), name)),
      this.#guard(this.#client.del(this.keys.key("scheduleRuns", name))),
    ]);
    return removed === 1;
  }

  async advanceSchedule(
    name: string,
    from: number,
    to: number,
    run: ScheduleRun | null,
  ): Promise<boolean> {
    return Number(
      await this.#eval(ADVANCE_SCHEDULE, [
        name,
        String(from),
        String(to),
        run ? JSON.stringify(run) : "",
      ]),
    ) === 1;
  }
}

/** Where the Sentinels are and which master they watch: `redis-sentinel://H:P[,H:P]/NAME`. */
export interface SentinelAddress {
  nodes: { host: string; port: number }[];
  name: string;
  password?: string;
}

/** The Sentinel address in a `redis-sentinel://` URL; null for any other URL. */
export function parseSentinelUrl(url: string): SentinelAddress | null {
  const match = /^redis-sentinel:\/\/(?:(?::?([^@]*))@)?([^/]+)\/([^/?#]+)$/.exec(url);
  if (!match) return null;
  const nodes = match[2].split(",").map((node) => {
    const at = node.lastIndexOf(":");
    return {
      host: at > 0 ? node.slice(0, at) : node,
      port: at > 0 ? Number(node.slice(at + 1)) : 26379,
    };
  });
  return {
    nodes,
    name: decodeURIComponent(match[3]),
    ...(match[1] ? { password: decodeURIComponent(match[1]) } : {}),
  };
}

type SentinelClient = {
  sendCommand(readonly: boolean, args: string[]): Promise<unknown>;
  on(event: "topology-change", listener: (event: { type: string }) => void): unknown;
};

/** A node-redis Sentinel client for the store, typed as the plain client (same commands). */
function newSentinel(
  address: SentinelAddress,
  options: RedisStoreOptions,
  poolSize = 4,
): RedisClient {
  const socket = {
    connectTimeout: 2000,
    socketTimeout: Math.max(options.commandTimeoutMs ?? 5000, 1500),
  };
  return createSentinel({
    name: address.name,
    sentinelRootNodes: address.nodes,
    masterPoolSize: poolSize,
    nodeClientOptions: {
      socket,
      pingInterval: pingIntervalOf(options),
      ...(address.password ? { password: address.password } : {}),
    },
    sentinelClientOptions: { socket },
  }) as unknown as RedisClient;
}

/** How often an idle connection pings: well within its read deadline. */
function pingIntervalOf(options: RedisStoreOptions): number {
  return Math.max(300, Math.floor(Math.max(options.commandTimeoutMs ?? 5000, 1500) / 3));
}

/** A Redis URL without its password, for messages and status. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(an invalid URL)";
  }
}
