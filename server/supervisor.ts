/**
 * The supervisor: builds every part from the configuration, serves HTTP,
 * and shuts down in order.
 *
 * A request travels: HTTP (`http/http_server.ts`) → JSON-RPC dispatch
 * (`rpc/dispatch.ts`) → method handler (`methods/`) → job service
 * (`jobs/job_service.ts`) and store (`store/`) → runner (`runners/`) →
 * session (`sessions/`) → logs (`logs/`).
 *
 * @module
 */

import { methods } from "../shared/methods.ts";
import { buildOpenRpcDocument } from "../shared/openrpc.ts";
import type { SupervisorInfo } from "../shared/types.generated.ts";
import { VERSION } from "../shared/version.ts";
import { listMembers, MemberHeartbeat } from "./cluster/mod.ts";
import { Retention } from "./jobs/retention.ts";
import { Scheduler, ScheduleService } from "./schedules/mod.ts";
import { SecretRegistry } from "./auth/secret_registry.ts";
import type { SupervisorConfig } from "./config/config_schema.ts";
import { EventLog } from "./events/event_log.ts";
import { Front, type FrontBind, type Handler } from "./http/front/mod.ts";
import { getLog, type Log, logTo } from "./logging/mod.ts";
import { createHttpHandler } from "./http/http_server.ts";
import { HttpReply } from "./http/http_reply.ts";
import { SseStreams } from "./http/sse.ts";
import type { RetryPolicy } from "./jobs/job_rules.ts";
import { JobService } from "./jobs/job_service.ts";
import { Reaper } from "./jobs/reaper.ts";
import { LogHub } from "./logs/log_hub.ts";
import { createHandlers, type Services } from "./methods/mod.ts";
import { Metrics } from "./metrics/metrics.ts";
import { Dispatcher } from "./rpc/dispatch.ts";
import { RpcError, unavailable } from "./rpc/rpc_error.ts";
import { RunnerManager } from "./runners/runner_manager.ts";
import type { Audit } from "./runners/runner.ts";
import { ProcessRuntime } from "./runners/process_runtime.ts";
import { claimDataDir, type DataDirClaim } from "./store/data_dir.ts";
import { openStore } from "./store/mod.ts";
import { type Store, StoreUnavailableError } from "./store/store.ts";
import { serveDashboard } from "./dashboard/serve_dashboard.ts";
import { signalTree } from "./util/process_group.ts";

/** Options of {@linkcode Supervisor.start} beyond the configuration. */
export interface StartOptions {
  /** Where the supervisor says what it does (default: the `supervisor` log; a function gets every message). */
  log?: Log | ((message: string) => void);
  /** Lets tests run the clock of the job service and reaper. */
  now?: () => number;
  /** How often the reaper looks for lost and overdue jobs, ms (default 500). */
  reaperIntervalMs?: number;
}

/** The parts a supervisor owns and closes. */
interface Parts {
  front: Front;
  dataDir: DataDirClaim;
  streams: SseStreams;
  reaper: Reaper;
  retention: Retention;
  scheduler: Scheduler;
  hub: LogHub;
  secrets: SecretRegistry;
  runtime: ProcessRuntime;
  metrics: Metrics;
}

/** A running supervisor. */
export class Supervisor {
  /** `http://host:port`. */
  readonly url: string;
  readonly config: SupervisorConfig;
  readonly store: Store;
  readonly runners: RunnerManager;
  readonly jobs: JobService;
  readonly events: EventLog;
  /** The admin secret generated on first start (only then), to show once. */
  readonly generatedSecret: string | null;
  readonly #parts: Parts;
  readonly #log: Log;
  readonly #drain: () => void;
  #stopping: Promise<void> | null = null;

  private constructor(fields: {
    url: string;
    config: SupervisorConfig;
    store: Store;
    runners: RunnerManager;
    jobs: JobService;
    events: EventLog;
    generatedSecret: string | null;
    parts: Parts;
    info: () => Promise<SupervisorInfo>;
    log: Log;
    drain: () => void;
  }) {
    this.url = fields.url;
    this.config = fields.config;
    this.store = fields.store;
    this.runners = fields.runners;
    this.jobs = fields.jobs;
    this.events = fields.events;
    this.generatedSecret = fields.generatedSecret;
    this.#parts = fields.parts;
    this.info = fields.info;
    this.#log = fields.log;
    this.#drain = fields.drain;
    this.stopped = new Promise((resolve) => {
      this.#stopped = (done) => done.then(resolve, resolve);
    });
  }

  /**
   * Builds every part, listens, and starts the runners (in the background).
   * Takes `data_dir` first (one owner each), binds the address next, and
   * only then opens the store and makes secrets: a start that fails leaves
   * nothing behind it did not find.
   */
  static async start(
    config: SupervisorConfig,
    options: StartOptions = {},
  ): Promise<Supervisor> {
    const undo: (() => Promise<void>)[] = [];
    try {
      return await Supervisor.#start(config, options, undo);
    } catch (error) {
      for (const step of undo.reverse()) await step().catch(() => {});
      throw error;
    }
  }

  static async #start(
    config: SupervisorConfig,
    options: StartOptions,
    undo: (() => Promise<void>)[],
  ): Promise<Supervisor> {
    const log: Log = typeof options.log === "function"
      ? logTo(options.log)
      : options.log ?? getLog("supervisor");
    const startedAt = Date.now();
    const dataDir = await claimDataDir(config.data_dir);
    undo.push(() => dataDir.release(true));
    const runtime = await ProcessRuntime.open("hero-work-", {
      sandbox: config.sandbox,
      sandboxCgroups: config.sandbox_cgroups,
    });
    undo.push(() => runtime.close());
    // Listening from the start (a taken port stops the start at once); answered once all is up.
    let handler: Handler = () =>
      Promise.resolve(
        new HttpReply(
          503,
          { "content-type": "application/json" },
          JSON.stringify({ error: { code: -32003, message: "the supervisor is starting" } }),
        ),
      );
    const front = await Front.start(bindOf(config), {
      maxConnections: config.max_connections,
      headerTimeoutMs: config.header_timeout * 1000,
      bodyTimeoutMs: config.body_timeout * 1000,
      idleTimeoutMs: config.idle_timeout * 1000,
      maxHeaderBytes: config.max_header_bytes,
      maxBodyBytes: config.max_body_bytes,
    }, (request) => handler(request));
    undo.push(() => Promise.resolve(front.close()));
    if (runtime.sandbox.warning) log.warn(runtime.sandbox.warning);
    const origin = `${Deno.hostname()}/${Deno.pid}/${crypto.randomUUID().slice(0, 8)}`;
    const store = await openStore(config, origin);
    undo.push(() => store.close());
    const events = new EventLog(store, { keep: config.events_kept, member: origin });
    const hub = new LogHub(store);
    const secrets = new SecretRegistry(store, events, {
      maxFailures: config.auth_max_failures,
      globalMaxFailures: config.auth_global_max_failures,
      windowMs: config.auth_window * 1000,
    });
    const generatedSecret = await secrets.init({
      admin: config.admin_secrets,
      user: config.user_secrets,
      register: config.register_secrets,
    }, config.data_dir);
    const retry: RetryPolicy = {
      baseMs: config.retry_delay * 1000,
      maxMs: config.retry_delay_max * 1000,
    };
    const metrics = new Metrics(store, options.now);
    const runners = new RunnerManager({
      store,
      events,
      script: runtime.script,
      processEnv: runtime.processEnv,
      workerPrefix: origin,
      leaseMs: config.lease * 1000,
      timeoutGraceMs: config.timeout_grace * 1000,
      logLines: config.log_lines,
      retry,
      now: options.now,
      onJobEnd: (job, outcome, result) => metrics.jobEnded(job, outcome, result),
      log,
    });
    const jobs = new JobService(store, runners, hub, events, {
      now: options.now,
    });
    const reaper = new Reaper(store, events, {
      intervalMs: options.reaperIntervalMs ?? 500,
      retry,
      now: options.now,
      leaseMs: config.lease * 1000,
      onQueued: (runner) => runners.wake(runner),
      sweepWaiting: () => jobs.sweepWaiting(),
    });
    const retention = new Retention(store, { keep: config.keep, now: options.now });
    const schedules = new ScheduleService(store, jobs, options.now);
    const scheduler = new Scheduler(store, jobs, { now: options.now });
    await schedules.fromConfig(config.schedules);
    if (store.kind === "embedded") {
      const orphans = await reaper.recoverOrphans();
      if (orphans) {
        log.info(
          `${orphans} jobs of the previous run were running: retried or failed`,
        );
      }
    }
    await runners.load(config.runners);

    let draining = false;
    const bound = "path" in front.addr
      ? `unix:${front.addr.path}`
      : `${hostPart(front.addr.hostname)}:${front.addr.port}`;
    const info = async (): Promise<SupervisorInfo> => ({
      name: config.name,
      version: VERSION,
      store: store.kind,
      namespace: config.namespace,
      uptime_s: Math.round((Date.now() - startedAt) / 100) / 10,
      runners: await runners.count(),
      jobs: await store.countJobs(),
      pid: Deno.pid,
      memory_rss: Deno.memoryUsage().rss,
      bind: bound,
    });
    // Made below; the shutdown method reaches it through this.
    const late: { supervisor?: Supervisor } = {};
    const services: Services = {
      config,
      store,
      jobs,
      runners,
      secrets,
      events,
      stats: metrics.stats,
      draining: () => draining,
      info,
      openrpc: (serverUrl) => buildOpenRpcDocument({ serverUrl }),
      // The answer goes out first; the supervisor it names exists by the time this is called.
      shutdown: (audit) => {
        setTimeout(() => late.supervisor?.shutdown(undefined, audit), 0);
      },
      members: () => listMembers(store, origin),
      schedules,
    };
    const translateError = (error: unknown): RpcError | undefined =>
      error instanceof StoreUnavailableError ? unavailable(error.message) : undefined;
    const dispatcher = new Dispatcher({
      methods,
      handlers: createHandlers(services),
      authenticate: (secret, client) => secrets.authenticate(secret, client),
      maxBatch: config.max_batch,
      translateError,
      onCall: (method, code, seconds) => metrics.call(method, code, seconds),
      onInternalError: (error, method) => {
        const ref = crypto.randomUUID().slice(0, 8);
        log.error(
          `internal error ${ref} in ${method}: ${(error as Error)?.message ?? error}`,
          {
            ref,
            method,
            error,
          },
        );
        return ref;
      },
    });
    const streams = new SseStreams();
    handler = createHttpHandler({
      dispatcher,
      services,
      hub,
      streams,
      metrics: config.metrics ? () => metrics.render(runners) : null,
      dashboard: serveDashboard,
      onRequest: (route, status) => metrics.request(route, status),
      draining: () => draining,
      translateError,
      peers: {
        trusted: config.trusted_proxies,
        publicUrl: config.public_url,
        bound,
      },
    });
    const supervisor = new Supervisor({
      url: "path" in front.addr ? `unix:${front.addr.path}` : `http://${bound}`,
      config,
      store,
      runners,
      jobs,
      events,
      generatedSecret,
      parts: {
        front,
        dataDir,
        streams,
        reaper,
        retention,
        scheduler,
        hub,
        secrets,
        runtime,
        metrics,
      },
      info,
      log,
      drain: () => (draining = true),
    });
    late.supervisor = supervisor;
    // This supervisor among the cluster's members; each beat also catches up on runners
    // registered or removed elsewhere, should a notice have been missed.
    const member = new MemberHeartbeat(
      store,
      origin,
      "supervisor",
      VERSION,
      () => ({ url: supervisor.url, ...runners.local() }),
      () => {
        if (store.kind === "redis") runners.reconcile();
      },
    );
    supervisor.#member = member;
    await member.start().catch((error) => {
      log.warn(`cannot record this supervisor as a member: ${(error as Error).message}`);
    });
    events.emit({
      type: "supervisor.started",
      subject: config.name,
      data: { url: supervisor.url },
    });
    reaper.start();
    retention.start();
    scheduler.start();
    jobs.sweepWaiting().catch(() => {});
    runners.startAll({ requested_by: "supervisor", reason: "start" });
    return supervisor;
  }

  /** The supervisor's own facts. */
  readonly info: () => Promise<SupervisorInfo>;
  #member: MemberHeartbeat | undefined;

  /**
   * Shuts down in order: refuses new jobs, lets running jobs finish for up
   * to `graceMs` (default `shutdown_grace`), stops runners dependants first
   * (SIGTERM, then SIGKILL of each process group), queues unfinished jobs
   * again, closes streams, the server and the store.
   */
  shutdown(
    graceMs = this.config.shutdown_grace * 1000,
    audit: Audit = { requested_by: "supervisor", reason: "shutdown" },
  ): Promise<void> {
    this.#stopping ??= this.#shutdown(graceMs, audit);
    this.#stopped(this.#stopping);
    return this.#stopping;
  }

  /** Resolves once a shutdown (by a signal or by the `shutdown` method) is complete. */
  readonly stopped: Promise<void>;
  #stopped!: (done: Promise<void>) => void;

  async #shutdown(graceMs: number, audit: Audit): Promise<void> {
    const { front, dataDir, streams, reaper, retention, scheduler, hub, secrets, runtime } =
      this.#parts;
    this.#drain();
    this.events.emit({
      type: "supervisor.stopping",
      subject: this.config.name,
      ...audit,
    });
    this.#log.info(
      `stopping (${audit.requested_by ?? "supervisor"}${
        audit.reason ? `: ${audit.reason}` : ""
      }): running jobs have ${graceMs / 1000} s to finish`,
    );
    this.runners.close();
    // No new tick's job once stopping: another member (or the next start) fires it.
    await scheduler.stop();
    await this.runners.stopAll(audit, graceMs);
    await reaper.stop();
    await retention.stop();
    await this.#member?.stop();
    front.stopAccepting();
    streams.closeAll();
    await front.shutdown();
    this.jobs.close();
    hub.close();
    secrets.close();
    await this.events.close();
    await runtime.close();
    await this.store.close();
    await dataDir.release();
  }

  /**
   * Kills every process of every runner at once (a second signal during
   * shutdown), and removes the sessions' temp dir, which nothing uses then.
   */
  killAll(): void {
    for (const name of this.runners.startOrder()) {
      for (const pid of this.runners.get(name).status(0, 0).pids) {
        signalTree(pid, "SIGKILL");
      }
    }
    this.#parts.runtime.removeFilesNow();
  }
}

/** Where the configuration says to listen: a TCP address, or `unix:/path`. */
function bindOf(config: SupervisorConfig): FrontBind {
  return config.bind_address.startsWith("unix:")
    ? { path: config.bind_address.slice("unix:".length) }
    : { hostname: config.bind_address, port: config.port };
}

/** A host as it appears in a URL (IPv6 in brackets). */
function hostPart(hostname: string): string {
  return hostname.includes(":") ? `[${hostname}]` : hostname;
}

export type { SupervisorConfig };
export { type Services } from "./methods/mod.ts";
