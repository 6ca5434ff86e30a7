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
import {
  type CheckSettings,
  checkSettings,
  checksHealth,
  findTmux,
  type Launcher,
  runChecks,
  ServiceExecutor,
  SimpleLauncher,
  TmuxLauncher,
} from "../services/mod.ts";
import type { SandboxStatus } from "../sandbox/mod.ts";
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
  /** Ends the pause between readiness checks (set while one runs). */
  #wakeCheck: (() => void) | undefined;
  /** Paused by an operator (as opposed to held while processes restart). */
  #operatorPaused = false;
  /** Lifecycle operations, one after the other. */
  #queue: Promise<void> = Promise.resolve();
  /** Removed: it does nothing any more. */
  #disposed = false;
  /** Bumped by every start and stop, so a late callback of an older life does nothing. */
  #generation = 0;
  /** Its last failure, and why (an exit, a failed start, failed checks or pings). */
  #lastFailure: { at: number; reason: string } | null = null;
  /** Its checks (`check`): how they went lately. */
  #check: NonNullable<RunnerStatus["check"]> | null = null;
  #checking = false;

  constructor(config: RunnerConfig, ctx: RunnerContext) {
    this.#config = { ...config };
    this.#ctx = ctx;
    this.#now = ctx.now ?? Date.now;
    this.#tracker = new RestartTracker(restartSettings(config));
    if (config.check) this.#check = { state: "unknown", failures: 0, last_ok: null };
  }

  /** A service: it takes no jobs. */
  get #isService(): boolean {
    return this.#config.kind === "service";
  }

  get #checkSettings(): CheckSettings {
    return checkSettings(this.#config.check);
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
    if (state === "running" || state === "completed") {
      for (const wake of this.#readyWaiters) wake();
      this.#readyWaiters = [];
    }
  }

  /**
   * Resolves once the runner is running (ready) or, a oneshot service,
   * completed; false when it stops trying.
   */
  whenReady(): Promise<boolean> {
    if (
      this.#state === "running" || this.#state === "paused" || this.#state === "completed"
    ) {
      return Promise.resolve(true);
    }
    if (this.#state === "stopped" || this.#state === "quarantined") {
      return Promise.resolve(false);
    }
    return new Promise((resolve) => {
      this.#readyWaiters.push(() =>
        resolve(this.#state === "running" || this.#state === "completed")
      );
    });
  }

  /** Notes a failure for the status (and its event says the same). */
  #failed(reason: string): void {
    this.#lastFailure = { at: this.#now(), reason };
  }

  /**
   * How a process runner's or service's programs start: `simple` (confined
   * child processes) or `tmux:SESSION`. Throws when that cannot be (no tmux).
   */
  #launcher(): { launcher: Launcher; sandbox: SandboxStatus } {
    const manager = this.#config.process_manager ?? "simple";
    if (manager.startsWith("tmux:")) {
      const tmux = findTmux();
      if (!tmux) {
        throw new Error(
          `process_manager = "${manager}": tmux is not installed (Debian: apt-get install tmux)`,
        );
      }
      return {
        launcher: new TmuxLauncher(manager.slice(5), tmux, this.#ctx.script.programsDir),
        // A tmux window runs outside the namespaces and control groups: its process group
        // is what contains it.
        sandbox: { fs: "none", net: "none", pids: "deno-only", memory: "none" },
      };
    }
    const confinement = this.#ctx.script.sandbox.confinePrograms({
      memoryMb: this.#config.memory_mb,
      pidsMax: this.#config.pids_max,
      cpus: this.#config.cpu,
    });
    return { launcher: new SimpleLauncher(confinement), sandbox: confinement.status };
  }

  /** What a program's executor (a service's or a process runner's) starts from. */
  #programOptions(hooks: ExecutorHooks, graceMs: number) {
    return {
      config: this.#config,
      ...this.#launcher(),
      baseEnv: this.#ctx.processEnv,
      log: this.log,
      hooks,
      graceMs,
    };
  }

  #makeExecutor(): Executor {
    const generation = this.#generation;
    const hooks: ExecutorHooks = {
      onFailure: (failure) => this.#onFailure(failure, generation),
      onReady: () => {},
      onCompleted: () => this.#completed(generation),
    };
    const graceMs = (this.#config.stop_grace ?? DEFAULT_STOP_GRACE_S) * 1000;
    switch (this.#config.kind ?? "script") {
      case "noop":
        return new NoopExecutor(this.#config.instances ?? 1);
      case "service":
        return new ServiceExecutor(this.#programOptions(hooks, graceMs));
      case "process":
        return new ProcessExecutor({
          ...this.#programOptions(hooks, graceMs),
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
      (this.#state !== "stopped" && this.#state !== "quarantined" &&
        this.#state !== "completed")
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
      `starting (${this.#config.oneshot ? "once" : `${this.#config.instances ?? 1} instances`})`,
    );
    try {
      this.#executor = this.#makeExecutor();
    } catch (error) {
      // A config this host cannot honour (tmux missing): this runner does not start.
      const message = (error as Error).message;
      this.#failed(message);
      this.#setState("stopped", message);
      this.log.add("supervisor", `cannot start: ${message}`);
      this.#emit("runner.start_failed", { requested_by: "supervisor" }, { message });
      for (const wake of this.#readyWaiters) wake();
      this.#readyWaiters = [];
      return Promise.resolve();
    }
    this.#executor.start();
    this.#startHealthChecks();
    // A oneshot is done when its program exits 0 (`#completed`), not when it answers.
    if (this.#config.oneshot) return this.whenReady().then(() => {});
    return this.#becomeReady(generation);
  }

  /** A oneshot service's program exited 0: its dependants may start. */
  #completed(generation: number): void {
    if (generation !== this.#generation || this.#state === "stopping") return;
    clearInterval(this.#healthTimer);
    this.#setState("completed");
    this.#emit("runner.completed");
    this.log.add("supervisor", "completed (exit 0)");
  }

  /** Its checks, until they pass (resolves) or `start_period` runs out (throws why). */
  async #checksPass(generation: number): Promise<void> {
    const settings = this.#checkSettings;
    const deadline = this.#now() + settings.startPeriodMs;
    let last = "";
    while (generation === this.#generation) {
      const failure = await this.#runChecks(true);
      if (failure === null) return;
      last = failure;
      if (this.#now() >= deadline) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.#wakeCheck = undefined;
          resolve();
        }, Math.min(settings.intervalMs, 250));
        // A stop ends the wait at once: no timer of a stopped runner lingers.
        this.#wakeCheck = () => {
          clearTimeout(timer);
          this.#wakeCheck = undefined;
          resolve();
        };
      });
    }
    throw new Error(
      `its checks did not pass within ${settings.startPeriodMs / 1000} s (start_period): ${last}`,
    );
  }

  /** Runs the checks once; records how they went; null when all passed. */
  async #runChecks(readiness: boolean): Promise<string | null> {
    const executor = this.#executor;
    const failure = await runChecks(
      this.#config.check!,
      {
        env: executor instanceof ServiceExecutor
          ? executor.env
          : { ...this.#ctx.processEnv, ...(this.#config.env ?? {}) },
        cwd: this.#config.working_dir,
        logMatched: () => executor instanceof ServiceExecutor ? executor.logMatched() : true,
      },
      this.#checkSettings,
      readiness,
    );
    const check = this.#check!;
    if (failure === null) {
      check.state = "passing";
      check.failures = 0;
      check.last_ok = this.#now();
    } else {
      check.state = "failing";
      check.failures++;
      check.last_error = failure;
    }
    return failure;
  }

  /**
   * The processes are up but never became ready (no answer to the first
   * ping, checks still failing after `start_period`): a failure like an
   * exit. It is restarted after its delay, or quarantined past the restart
   * intensity.
   */
  #startFailed(generation: number, message: string): void {
    if (generation !== this.#generation || this.#state !== "starting") return;
    this.#failed(`not ready: ${message}`);
    this.#emit("runner.start_failed", { requested_by: "supervisor" }, { message });
    const decision = this.#tracker.decide(true, 0, this.#now());
    if (decision.action === "quarantine") {
      this.quarantine({ requested_by: "supervisor", reason: decision.reason });
      return;
    }
    if (decision.action === "stay-down") {
      this.stop({ requested_by: "supervisor", reason: decision.reason });
      return;
    }
    this.#restarts++;
    this.#nextRestartAt = this.#now() + decision.delayMs;
    this.#setState("backoff", `not ready: ${message}`);
    clearTimeout(this.#restartTimer);
    this.#restartTimer = setTimeout(() => {
      if (generation !== this.#generation) return;
      this.#nextRestartAt = null;
      this.#cycle({ requested_by: "supervisor", reason: "it did not become ready" });
    }, decision.delayMs);
  }

  /**
   * Readiness: the first ping answered (a service: its instances up), then
   * its checks passed, if it has any. Then the consumer starts taking jobs.
   */
  async #becomeReady(generation: number): Promise<void> {
    const timeoutMs = (this.#config.ping_timeout ?? DEFAULT_PING_TIMEOUT_S) *
      1000;
    try {
      await this.#executor!.ping(timeoutMs);
      if (this.#config.check) await this.#checksPass(generation);
    } catch (error) {
      if (generation !== this.#generation) return;
      const message = (error as Error).message;
      this.log.add("supervisor", `not ready: ${message}`);
      // A process that exited is a failure its exit reports; one that is up but never
      // became ready is one too, reported here.
      if ((this.#executor?.pids.length ?? 0) > 0) this.#startFailed(generation, message);
      return;
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
    if (!this.#isService) this.#consumer ??= this.#makeConsumer();
    if (this.#operatorPaused) {
      this.#consumer?.pause();
      this.#setState("paused");
    } else {
      this.#consumer?.resume();
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
      ...(this.#config.rate_limit
        ? {
          rate: {
            max: this.#config.rate_limit.max,
            perMs: Math.max(10, Math.round(this.#config.rate_limit.per * 1000)),
          },
        }
        : {}),
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
    this.#failed(failure.message);
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
      if (this.#state !== "backoff") return;
      // A oneshot is ready when it exits 0 (`#completed`), never by answering.
      if (this.#config.oneshot) this.#setState("starting");
      else this.#becomeReady(generation);
    }, decision.delayMs);
  }

  #startHealthChecks(): void {
    clearInterval(this.#healthTimer);
    const intervalMs = (this.#config.ping_interval ?? DEFAULT_PING_INTERVAL_S) *
      1000;
    const checks = checksHealth(this.#config.check);
    const checkEvery = this.#checkSettings.intervalMs;
    let lastCheck = this.#now();
    // A service has no protocol to ping: its checks (if any) say how it is.
    const pings = !this.#isService;
    this.#healthTimer = setInterval(() => {
      const idle = (this.#consumer?.busy ?? 0) === 0;
      const up = this.#state === "running" || this.#state === "paused";
      if (pings && this.#state === "running" && idle && !this.#pinging) {
        if (this.#now() - this.#lastActivity >= intervalMs) this.#ping();
      }
      if (checks && up && !this.#checking && this.#now() - lastCheck >= checkEvery) {
        lastCheck = this.#now();
        this.#healthCheck();
      }
    }, Math.min(1000, intervalMs / 2, checks ? checkEvery / 2 : Infinity));
  }

  /** A round of its checks once ready; `retries` failures in a row restart it. */
  async #healthCheck(): Promise<void> {
    const generation = this.#generation;
    this.#checking = true;
    try {
      const failure = await this.#runChecks(false);
      if (failure === null || generation !== this.#generation) {
        if (failure === null) this.#health = "healthy";
        return;
      }
      this.#health = "unhealthy";
      const { retries } = this.#checkSettings;
      const failures = this.#check!.failures;
      this.log.add("supervisor", `check ${failures}/${retries} failed: ${failure}`);
      this.#emit("runner.check_failed", {}, { failures, message: failure });
      if (failures < retries) return;
      const reason = `${retries} checks failed in a row: ${failure}`;
      this.#failed(reason);
      this.#emit("runner.unhealthy", { requested_by: "supervisor" }, { reason });
      const decision = this.#tracker.decide(true, 0, this.#now());
      if (decision.action === "quarantine") {
        await this.quarantine({ requested_by: "supervisor", reason: decision.reason });
      } else {
        this.#restarts++;
        this.#check!.failures = 0;
        await this.#cycle({ requested_by: "supervisor", reason });
      }
    } finally {
      this.#checking = false;
    }
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
        this.#failed(`${limit} pings failed in a row: ${(error as Error).message}`);
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
    this.#wakeCheck?.();
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
    const kind = this.#config.kind ?? "script";
    if (kind === "process" || kind === "service") {
      status.process_manager = this.#config.process_manager ?? "simple";
    }
    if (this.#check) status.check = { ...this.#check, config: this.#config.check! };
    status.last_failure = this.#lastFailure;
    return status;
  }
}
