/**
 * One supervised runner: its executor (the processes), its consumer (the
 * queue), and the supervision around them: readiness, restart policy with
 * backoff, restart intensity and quarantine, liveness pings, pause, scaling.
 *
 * States: `stopped` → `starting` (processes up, waiting for a ping answer)
 * → `running` ⇄ `paused`; a failed process means a restart after a delay
 * (`backoff` while nothing is up), or `quarantined` past the restart
 * intensity; `stopping` → `stopped`. Every change is an event.
 *
 * @module
 */

import type {
  ExitInfo,
  RunnerConfig,
  RunnerState,
  RunnerStatus,
} from "../../shared/types.generated.ts";
import type { EventLog } from "../events/event_log.ts";
import type { Outcome, RetryPolicy } from "../jobs/job_rules.ts";
import type { Store, TransitionResult } from "../store/store.ts";
import type { JobRecord } from "../store/store.ts";
import { restartSettings, RestartTracker } from "../supervision/restart_policy.ts";
import type { Executor, ExecutorHooks, ProcessFailure } from "./executor.ts";
import { type DirectClaim, JobConsumer } from "./job_consumer.ts";
import { NoopExecutor } from "./noop_executor.ts";
import { ProcessExecutor } from "./process_executor.ts";
import { RunnerLog } from "./runner_log.ts";
import { ScriptExecutor, type ScriptRuntime } from "./script_executor.ts";
import type { Timer } from "../util/timer.ts";
import type { Log } from "../logging/mod.ts";

/** Who asked for a control action, and why; recorded in its event. */
export interface Audit {
  requested_by?: string;
  reason?: string;
}

/** What every runner of a supervisor shares. */
export interface RunnerContext {
  store: Store;
  events: EventLog;
  script: ScriptRuntime;
  /** Environment of process runners under their own `env`. */
  processEnv: Record<string, string>;
  /** Prefix of the lease holder names of this process's consumers. */
  workerPrefix: string;
  leaseMs: number;
  timeoutGraceMs: number;
  logLines: number;
  retry: RetryPolicy;
  now?: () => number;
  /** Told when a job ends on any runner (metrics). */
  onJobEnd?: (
    job: JobRecord,
    outcome: Outcome,
    result: TransitionResult | null,
  ) => void;
  /** The supervisor's own log. */
  log?: Log;
}

const DEFAULT_PING_INTERVAL_S = 600;
const DEFAULT_PING_FAILURES = 3;
const DEFAULT_PING_TIMEOUT_S = 10;
const DEFAULT_STOP_GRACE_S = 5;

/** One runner under supervision. */
export class Runner {
  readonly log = new RunnerLog();
  #config: RunnerConfig;
  readonly #ctx: RunnerContext;
  readonly #now: () => number;
  #state: RunnerState = "stopped";
  #executor: Executor | null = null;
  #consumer: JobConsumer | null = null;
  #tracker: RestartTracker;
  #restarts = 0;
  #lastExit: ExitInfo | null = null;
  #health: RunnerStatus["health"] = "unknown";
  #lastPing: number | null = null;
  #pingFailures = 0;
  #pinging = false;
  #lastActivity = 0;
  #restartTimer: Timer | undefined;
  #nextRestartAt: number | null = null;
  #reason: string | undefined;
  #healthTimer: Timer | undefined;
  #readyWaiters: (() => void)[] = [];
  /** Paused by an operator (as opposed to held while processes restart). */
  #operatorPaused = false;
  /** Lifecycle operations, one after the other. */
  #queue: Promise<void> = Promise.resolve();
  /** Removed: it does nothing any more. */
  #disposed = false;
  /** Bumped by every start and stop, so a late callback of an older life does nothing. */
  #generation = 0;

  constructor(config: RunnerConfig, ctx: RunnerContext) {
    this.#config = { ...config };
    this.#ctx = ctx;
    this.#now = ctx.now ?? Date.now;
    this.#tracker = new RestartTracker(restartSettings(config));
  }

  get name(): string {
    return this.#config.name;
  }

  get config(): RunnerConfig {
    return this.#config;
  }

  get state(): RunnerState {
    return this.#state;
  }

  /** Whether it takes jobs now. */
  get live(): boolean {
    return this.#state === "running" && this.#consumer !== null;
  }

  #emit(type: string, audit: Audit = {}, data?: Record<string, unknown>): void {
    this.#ctx.events.emit({
      type,
      subject: this.name,
      ...audit,
      ...(data ? { data } : {}),
    });
  }

  #setState(state: RunnerState, reason?: string): void {
    this.#state = state;
    this.#reason = reason;
    if (state === "running") {
      for (const wake of this.#readyWaiters) wake();
      this.#readyWaiters = [];
    }
  }

  /** Resolves once the runner is running (ready), or when it stops trying. */
  whenReady(): Promise<boolean> {
    if (this.#state === "running" || this.#state === "paused") {
      return Promise.resolve(true);
    }
    if (this.#state === "stopped" || this.#state === "quarantined") {
      return Promise.resolve(false);
    }
    return new Promise((resolve) => {
      this.#readyWaiters.push(() => resolve(this.#state === "running"));
    });
  }

  #makeExecutor(): Executor {
    const hooks: ExecutorHooks = {
      onFailure: (failure) => this.#onFailure(failure, this.#generation),
      onReady: () => {},
    };
    const graceMs = (this.#config.stop_grace ?? DEFAULT_STOP_GRACE_S) * 1000;
    switch (this.#config.kind ?? "script") {
      case "noop":
        return new NoopExecutor(this.#config.instances ?? 1);
      case "process":
        return new ProcessExecutor({
          config: this.#config,
          confinement: this.#ctx.script.sandbox.confinePrograms({
            memoryMb: this.#config.memory_mb,
            pidsMax: this.#config.pids_max,
            cpus: this.#config.cpu,
          }),
          baseEnv: this.#ctx.processEnv,
          log: this.log,
          hooks,
          graceMs,
          readyTimeoutMs: (this.#config.ping_timeout ?? DEFAULT_PING_TIMEOUT_S) * 1000,
        });
      case "script":
        return new ScriptExecutor({
          config: this.#config,
          runtime: this.#ctx.script,
          log: this.log,
          hooks,
          graceMs,
        });
    }
  }

  /**
   * Runs lifecycle operations one at a time, in order (as an OTP supervisor
   * handles one command at a time), so that a stop cannot interleave with a
   * start. Waiting for readiness happens outside, so a stop is never stuck
   * behind a slow start.
   */
  #serial<T>(operation: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(operation, operation);
    this.#queue = run.then(() => {}, () => {});
    return run;
  }

  /** Starts the processes, waits for a ping answer, then takes jobs. */
  async start(audit: Audit = {}): Promise<void> {
    // Wrapped: a returned promise would be awaited inside the queue.
    const { ready } = await this.#serial(() => Promise.resolve({ ready: this.#launch(audit) }));
    await ready;
  }

  /** Starts the processes; returns the readiness it waits for. */
  #launch(audit: Audit): Promise<void> {
    if (
      this.#disposed ||
      (this.#state !== "stopped" && this.#state !== "quarantined")
    ) {
      return Promise.resolve();
    }
    const generation = ++this.#generation;
    this.#setState("starting");
    this.#emit("runner.starting", audit, {
      kind: this.#config.kind ?? "script",
    });
    this.log.add(
      "supervisor",
      `starting (${this.#config.instances ?? 1} instances)`,
    );
    this.#executor = this.#makeExecutor();
    this.#executor.start();
    this.#startHealthChecks();
    return this.#becomeReady(generation);
  }

  /** Readiness: the first ping answered. Then the consumer starts taking jobs. */
  async #becomeReady(generation: number): Promise<void> {
    const timeoutMs = (this.#config.ping_timeout ?? DEFAULT_PING_TIMEOUT_S) *
      1000;
    try {
      await this.#executor!.ping(timeoutMs);
    } catch (error) {
      if (generation !== this.#generation) return;
      this.log.add("supervisor", `not ready: ${(error as Error).message}`);
      return; // the failure itself (an exit) drives the restart decision
    }
    if (
      generation !== this.#generation ||
      (this.#state !== "starting" && this.#state !== "backoff")
    ) {
      return;
    }
    this.#lastPing = this.#now();
    this.#lastActivity = this.#now();
    this.#health = "healthy";
    this.#pingFailures = 0;
    this.#consumer ??= this.#makeConsumer();
    if (this.#operatorPaused) {
      this.#consumer.pause();
      this.#setState("paused");
    } else {
      this.#consumer.resume();
      this.#setState("running");
    }
    this.#emit("runner.ready");
    this.log.add("supervisor", "ready");
  }

  #makeConsumer(): JobConsumer {
    const consumer = new JobConsumer({
      store: this.#ctx.store,
      runner: this.name,
      worker: `${this.#ctx.workerPrefix}/${this.name}`,
      executor: this.#executor!,
      instances: () => this.#config.instances ?? 1,
      events: this.#ctx.events,
      leaseMs: this.#ctx.leaseMs,
      timeoutGraceMs: this.#ctx.timeoutGraceMs,
      logLines: this.#ctx.logLines,
      retry: this.#ctx.retry,
      now: this.#ctx.now,
      onJobEnd: (job, outcome, result) => {
        this.#lastActivity = this.#now();
        this.#ctx.onJobEnd?.(job, outcome, result);
      },
      log: (message) => {
        this.log.add("supervisor", message);
        this.#ctx.log?.warn(`runner ${this.name}: ${message}`);
      },
    });
    consumer.start();
    return consumer;
  }

  #onFailure(failure: ProcessFailure, generation: number): void {
    if (generation !== this.#generation) return;
    const now = this.#now();
    this.#lastExit = {
      at: now,
      ...(failure.code !== undefined ? { code: failure.code } : {}),
      ...(failure.signal ? { signal: failure.signal } : {}),
    };
    this.log.add("supervisor", failure.message);
    this.#emit("runner.exited", {}, {
      message: failure.message,
      ...(failure.code !== undefined ? { code: failure.code } : {}),
      ...(failure.signal ? { signal: failure.signal } : {}),
    });
    if (
      this.#state === "stopping" || this.#state === "stopped" ||
      this.#state === "quarantined"
    ) {
      return;
    }
    const decision = this.#tracker.decide(
      failure.abnormal,
      failure.uptimeMs,
      now,
    );
    if (decision.action === "quarantine") {
      this.quarantine({ requested_by: "supervisor", reason: decision.reason });
      return;
    }
    if (decision.action === "stay-down") {
      this.log.add("supervisor", `not restarted: ${decision.reason}`);
      if (this.#executor?.pids.length === 0) {
        this.stop({ requested_by: "supervisor", reason: decision.reason });
      }
      return;
    }
    this.#restarts++;
    this.#nextRestartAt = now + decision.delayMs;
    if (this.#executor?.pids.length === 0) {
      // Nothing is up: take no jobs until a process is ready again.
      this.#consumer?.pause();
      this.#setState("backoff", failure.message);
    }
    this.#emit("runner.restarting", { requested_by: "supervisor" }, {
      delay_ms: decision.delayMs,
      restarts: this.#restarts,
    });
    clearTimeout(this.#restartTimer);
    this.#restartTimer = setTimeout(() => {
      if (generation !== this.#generation) return;
      this.#nextRestartAt = null;
      this.#executor?.recover();
      if (this.#state === "backoff") this.#becomeReady(generation);
    }, decision.delayMs);
  }

  #startHealthChecks(): void {
    clearInterval(this.#healthTimer);
    const intervalMs = (this.#config.ping_interval ?? DEFAULT_PING_INTERVAL_S) *
      1000;
    this.#healthTimer = setInterval(() => {
      const idle = (this.#consumer?.busy ?? 0) === 0;
      if (this.#state === "running" && idle && !this.#pinging) {
        if (this.#now() - this.#lastActivity >= intervalMs) this.#ping();
      }
    }, Math.min(1000, intervalMs / 2));
  }

  /** A liveness ping; `ping_failures` failures in a row restart the runner. */
  async #ping(): Promise<void> {
    const generation = this.#generation;
    this.#pinging = true;
    const timeoutMs = (this.#config.ping_timeout ?? DEFAULT_PING_TIMEOUT_S) *
      1000;
    try {
      await this.#executor!.ping(timeoutMs);
      if (generation !== this.#generation) return;
      this.#lastPing = this.#now();
      this.#pingFailures = 0;
      this.#health = "healthy";
    } catch (error) {
      if (generation !== this.#generation) return;
      this.#pingFailures++;
      this.#health = "unhealthy";
      const limit = this.#config.ping_failures ?? DEFAULT_PING_FAILURES;
      this.log.add(
        "supervisor",
        `ping ${this.#pingFailures}/${limit} failed: ${(error as Error).message}`,
      );
      this.#emit("runner.ping_failed", {}, {
        failures: this.#pingFailures,
        message: (error as Error).message,
      });
      if (this.#pingFailures >= limit) {
        this.#emit("runner.unhealthy", { requested_by: "supervisor" }, {
          reason: `${limit} pings failed in a row`,
        });
        const decision = this.#tracker.decide(true, 0, this.#now());
        if (decision.action === "quarantine") {
          await this.quarantine({
            requested_by: "supervisor",
            reason: decision.reason,
          });
        } else {
          this.#restarts++;
          await this.#cycle({
            requested_by: "supervisor",
            reason: `${limit} pings failed`,
          });
        }
      }
    } finally {
      this.#lastActivity = this.#now();
      this.#pinging = false;
    }
  }

  /** Stops and starts again, keeping the restart history. */
  async #cycle(audit: Audit): Promise<void> {
    const { ready } = await this.#serial(async () => {
      this.#emit("runner.restarting", audit, { restarts: this.#restarts });
      await this.#stopNow(audit, 0, false);
      return { ready: this.#launch(audit) };
    });
    await ready;
  }

  /** Ends the consumer (running jobs go back to the queue) and the processes. */
  async #shutdown(graceMs: number): Promise<void> {
    this.#generation++;
    clearTimeout(this.#restartTimer);
    clearInterval(this.#healthTimer);
    this.#nextRestartAt = null;
    const consumer = this.#consumer;
    const executor = this.#executor;
    this.#consumer = null;
    await consumer?.stop(graceMs);
    this.#executor = null;
    await executor?.stop();
    for (const wake of this.#readyWaiters) wake();
    this.#readyWaiters = [];
    this.#pingFailures = 0;
    this.#pinging = false;
    this.#health = "unknown";
  }

  /**
   * Stops: running jobs get `graceMs` to finish, then are ended and queued
   * again; processes get SIGTERM, then SIGKILL.
   */
  stop(audit: Audit = {}, graceMs = 0): Promise<void> {
    return this.#serial(() => this.#stopNow(audit, graceMs, true));
  }

  async #stopNow(
    audit: Audit,
    graceMs: number,
    announce: boolean,
  ): Promise<void> {
    if (this.#state === "stopped") return;
    const quiet = this.#state === "quarantined" || !announce;
    this.#setState("stopping");
    await this.#shutdown(graceMs);
    this.#setState("stopped");
    if (!quiet) {
      this.#emit("runner.stopped", audit);
      this.log.add("supervisor", "stopped");
    }
  }

  /** Stops and starts, forgetting past restarts (lifts a quarantine). */
  async restart(audit: Audit = {}): Promise<void> {
    const { ready } = await this.#serial(async () => {
      this.#emit("runner.restarting", audit, { restarts: this.#restarts });
      await this.#stopNow(audit, 0, true);
      this.#tracker.reset();
      return { ready: this.#launch(audit) };
    });
    await ready;
  }

  /** Stops it and keeps it stopped until resumed or restarted; its queued jobs stay queued. */
  quarantine(audit: Audit): Promise<void> {
    return this.#serial(async () => {
      if (this.#state === "quarantined" || this.#disposed) return;
      await this.#stopNow(audit, 0, false);
      this.#setState("quarantined", audit.reason);
      this.#emit("runner.quarantined", audit);
      this.log.add(
        "supervisor",
        `quarantined: ${audit.reason ?? "by request"}`,
      );
    });
  }

  /** Stops it for good: it is being removed. */
  dispose(audit: Audit): Promise<void> {
    return this.#serial(async () => {
      await this.#stopNow(audit, 0, true);
      this.#disposed = true;
    });
  }

  /** Takes no new jobs; running ones finish. */
  pause(audit: Audit = {}): void {
    if (this.#state !== "running") return;
    this.#operatorPaused = true;
    this.#consumer?.pause();
    this.#setState("paused", audit.reason);
    this.#emit("runner.paused", audit);
  }

  /** Takes jobs again (after a pause), or starts again (after a quarantine). */
  async resume(audit: Audit = {}): Promise<void> {
    const { ready } = await this.#serial(() => {
      if (this.#state === "paused") {
        this.#operatorPaused = false;
        this.#consumer?.resume();
        this.#setState("running");
        this.#emit("runner.resumed", audit);
      } else if (this.#state === "quarantined") {
        this.#operatorPaused = false;
        this.#tracker.reset();
        this.#emit("runner.resumed", audit);
        return Promise.resolve({ ready: this.#launch(audit) });
      }
      return Promise.resolve({ ready: Promise.resolve() });
    });
    await ready;
  }

  /** Changes how many jobs run at once, live; running jobs are not dropped. */
  scale(instances: number, audit: Audit = {}): void {
    const from = this.#config.instances ?? 1;
    this.#config = { ...this.#config, instances };
    this.#executor?.resize(instances);
    this.#consumer?.wake();
    this.#emit("runner.scaled", audit, { from, to: instances });
    this.log.add("supervisor", `scaled from ${from} to ${instances} instances`);
  }

  /** A slot for direct dispatch, when it takes jobs and has one free. */
  claim(): DirectClaim | null {
    return this.#state === "running" ? this.#consumer?.claim() ?? null : null;
  }

  /** Wakes the consumer: work was queued by this process. */
  wake(): void {
    this.#consumer?.wake();
  }

  /** Resolves once the job no longer runs here (or after `timeoutMs`). */
  released(jobId: string, timeoutMs: number): Promise<void> {
    return this.#consumer?.released(jobId, timeoutMs) ?? Promise.resolve();
  }

  /** The runner's status; `queued` and `remote_agents` come from the caller (the store). */
  status(queued: number, remoteAgents: number): RunnerStatus {
    const status: RunnerStatus = {
      name: this.name,
      kind: this.#config.kind ?? "script",
      state: this.#state,
      instances: this.#config.instances ?? 1,
      busy: this.#consumer?.busy ?? 0,
      idle: this.#executor?.idle ?? 0,
      queued,
      restarts: this.#restarts,
      pids: this.#executor?.pids ?? [],
      health: this.#health,
      last_exit: this.#lastExit,
      last_ping: this.#lastPing,
      ping_failures: this.#pingFailures,
      restart: this.#config.restart ?? "permanent",
      next_restart_at: this.#nextRestartAt,
      depends_on: this.#config.depends_on ?? [],
      remote_agents: remoteAgents,
      permissions: this.#config.permissions ?? {},
    };
    const sandbox = this.#executor?.sandbox;
    if (sandbox) status.sandbox = sandbox;
    if (this.#reason) status.reason = this.#reason;
    return status;
  }
}
