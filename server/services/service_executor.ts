/**
 * The `service` runner kind: any program, `instances` copies of it,
 * supervised as zinit, s6 or systemd do it. It takes no jobs; it is started,
 * checked, restarted and stopped (SIGTERM to its process group or PID
 * namespace, SIGKILL after `stop_grace`). Its output is the runner's log. A
 * `oneshot` service runs once: its exit 0 completes it.
 *
 * @module
 */

import type { RunnerConfig } from "../../shared/types.generated.ts";
import type { Outcome } from "../jobs/job_rules.ts";
import type { Execution, Executor, ExecutorHooks } from "../runners/executor.ts";
import type { RunnerLog } from "../runners/runner_log.ts";
import type { SandboxStatus } from "../sandbox/mod.ts";
import { describeExit } from "../sessions/session_process.ts";
import { forEachLine } from "../util/lines.ts";
import { terminateGroup } from "../util/process_group.ts";
import { type Launched, type Launcher, Launching, launchSpec } from "./launch.ts";

/** One running copy of the program. */
class ServiceInstance {
  readonly pid: number;
  readonly startedAt = Date.now();
  readonly exited: Promise<Deno.CommandStatus>;
  /** Ended on purpose (stop, scale down): its exit is not a failure. */
  retiring = false;
  readonly #launched: Launched;

  constructor(launched: Launched, source: string, log: RunnerLog, onLine: (line: string) => void) {
    this.#launched = launched;
    this.pid = launched.pid;
    const read = (stream: Launched["stdout"] | null, name: string) =>
      stream
        ? forEachLine(stream, (line, partial) => {
          if (!partial) onLine(line);
          log.add(`${source} ${name}`, line.endsWith("\r") ? line.slice(0, -1) : line);
        }).catch(() => {})
        : Promise.resolve();
    const output = Promise.all([read(launched.stdout, "stdout"), read(launched.stderr, "stderr")]);
    // Held open, never written: a program that reads it waits.
    const stdin = launched.stdin?.getWriter();
    // The program gone, nothing it started may run on (nor hold its output open).
    launched.status.then(() => launched.kill());
    this.exited = Promise.all([launched.status, output]).then(async ([status]) => {
      await stdin?.abort().catch(() => {});
      await launched.release();
      return status;
    });
  }

  get memoryExceeded(): boolean {
    return this.#launched.memoryExceeded();
  }

  /** SIGTERM to it and what it started, then SIGKILL to all after `graceMs`. */
  async kill(graceMs: number): Promise<void> {
    await terminateGroup(this.pid, this.exited, graceMs, (_, signal) => {
      if (signal !== "SIGKILL") return this.#launched.signal(signal);
      this.#launched.kill();
      return true;
    });
  }
}

/** Settings of a {@linkcode ServiceExecutor}. */
export interface ServiceExecutorOptions {
  config: RunnerConfig;
  launcher: Launcher;
  /** Environment under the runner's own `env` (PATH, HOME). */
  baseEnv: Record<string, string>;
  log: RunnerLog;
  hooks: ExecutorHooks;
  graceMs: number;
  /** Which layer confines its processes. */
  sandbox?: SandboxStatus;
}

/** Keeps copies of a program running. */
export class ServiceExecutor implements Executor {
  readonly #o: ServiceExecutorOptions;
  #size: number;
  readonly #slots: (ServiceInstance | null)[] = [];
  /** Slots whose program is being started. */
  readonly #launching = new Launching();
  #stopped = false;
  readonly #pattern: RegExp | null;
  #matched = false;

  constructor(options: ServiceExecutorOptions) {
    this.#o = options;
    this.#size = options.config.oneshot ? 1 : options.config.instances ?? 1;
    const log = options.config.check?.log;
    this.#pattern = log !== undefined ? new RegExp(log) : null;
  }

  get idle(): number {
    return 0;
  }

  get pids(): number[] {
    return this.#slots.filter((i): i is ServiceInstance => i !== null).map((i) => i.pid);
  }

  get sandbox(): SandboxStatus | undefined {
    return this.#o.sandbox;
  }

  /** The environment its instances (and its `test` check) get. */
  get env(): Record<string, string> {
    return {
      ...this.#o.baseEnv,
      ...(this.#o.config.env ?? {}),
      HERO_RUNNER_NAME: this.#o.config.name,
    };
  }

  /** Whether a line of its output matched `check.log` since it last started. */
  logMatched(): boolean {
    return this.#matched;
  }

  start(): void {
    this.#stopped = false;
    this.#matched = false;
    this.recover();
  }

  recover(): void {
    for (let slot = 0; slot < this.#size && !this.#stopped; slot++) {
      if (!this.#slots[slot] && !this.#launching.has(slot)) this.#spawn(slot);
    }
  }

  async #spawn(slot: number): Promise<void> {
    const { config, launcher, log, hooks } = this.#o;
    this.#launching.add(slot);
    let launched: Launched;
    try {
      launched = await launcher.launch(
        launchSpec(config, slot, { ...this.env, HERO_RUNNER_INSTANCE: String(slot) }, false),
      );
    } catch (error) {
      hooks.onFailure({
        abnormal: true,
        uptimeMs: 0,
        message: `cannot start: ${(error as Error).message}`,
      });
      return;
    } finally {
      this.#launching.delete(slot);
    }
    const instance = new ServiceInstance(launched, `${config.name}#${slot}`, log, (line) => {
      if (this.#pattern?.test(line)) this.#matched = true;
    });
    if (this.#stopped) {
      instance.retiring = true;
      instance.kill(this.#o.graceMs);
      return;
    }
    this.#slots[slot] = instance;
    log.add(
      "supervisor",
      `started ${config.binary_path} as pid ${instance.pid} (instance ${slot}, ${launcher.name})`,
    );
    hooks.onReady();
    instance.exited.then((status) => {
      if (this.#slots[slot] === instance) this.#slots[slot] = null;
      log.add("supervisor", `instance ${slot} (pid ${instance.pid}) ${describeExit(status)}`);
      if (instance.retiring || this.#stopped) return;
      if (config.oneshot && status.success) {
        hooks.onCompleted?.();
        return;
      }
      const memory = instance.memoryExceeded
        ? ` (past its memory limit of ${config.memory_mb} MB)`
        : "";
      hooks.onFailure({
        // A service that exits 0 ended too; whether that calls for a restart is its policy's.
        abnormal: status.code !== 0 || status.signal !== null,
        code: status.code,
        signal: status.signal ?? undefined,
        uptimeMs: Date.now() - instance.startedAt,
        message: `process ${instance.pid} ${describeExit(status)}${memory}`,
      });
    });
  }

  execute(_execution: Execution): Promise<Outcome> {
    return Promise.resolve({
      kind: "error",
      message: `runner ${JSON.stringify(this.#o.config.name)} is a service: it takes no jobs`,
    });
  }

  /**
   * Up: every instance started and still running (waits up to `timeoutMs`
   * for those being started). Its checks are the runner's to run.
   */
  async ping(timeoutMs: number): Promise<void> {
    await this.#launching.idle(timeoutMs);
    const up = this.pids.length;
    if (up < this.#size) {
      throw new Error(`${this.#size - up} of ${this.#size} instances are not running`);
    }
  }

  resize(instances: number): void {
    if (this.#o.config.oneshot) return;
    this.#size = instances;
    this.#slots.forEach((instance, slot) => {
      if (instance && slot >= instances) {
        instance.retiring = true;
        instance.kill(this.#o.graceMs);
      }
    });
    this.recover();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#launching.idle();
    const all = this.#slots.filter((i): i is ServiceInstance => i !== null);
    for (const instance of all) instance.retiring = true;
    await Promise.all(all.map((i) => i.kill(this.#o.graceMs)));
  }
}
