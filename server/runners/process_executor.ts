/**
 * The `process` runner kind: an external program, `instances` copies of it,
 * each fed one job at a time through the runner protocol on its stdin and
 * stdout (frames after `@hero `; see `docs/protocol.md`). Its other output is
 * the runner's own log.
 *
 * @module
 */

import type { RunnerConfig } from "../../shared/types.generated.ts";
import type { Outcome } from "../jobs/job_rules.ts";
import { resultProblem } from "../jobs/result_limits.ts";
import type { JobLogWriter } from "../logs/job_log_writer.ts";
import {
  decodeFrame,
  encodeFrame,
  FRAME_PREFIX,
  type FromRunnerFrame,
  MAX_FRAME_CHARS,
  RUNNER_FRAMES,
  type ToRunnerFrame,
} from "../sessions/frames.ts";
import { describeExit } from "../sessions/session_process.ts";
import { forEachLine } from "../util/lines.ts";
import { WaiterQueue } from "../util/waiter_queue.ts";
import type { SandboxStatus } from "../sandbox/mod.ts";
import { type Launched, type Launcher, Launching, launchSpec } from "../services/launch.ts";
import { terminateGroup } from "../util/process_group.ts";
import type { Execution, Executor, ExecutorHooks } from "./executor.ts";
import type { RunnerLog } from "./runner_log.ts";
import type { Timer } from "../util/timer.ts";

interface CurrentJob {
  id: string;
  log: JobLogWriter;
  settle: (outcome: Outcome) => void;
}

/** One running copy of the program. */
class ProcessInstance {
  readonly pid: number;
  readonly startedAt = Date.now();
  readonly exited: Promise<Deno.CommandStatus>;
  ready = false;
  /** Ended on purpose (stop, scale down): its exit is not a failure. */
  retiring = false;
  /** Killed because its job would not end: replaced, not counted as a failure. */
  replace = false;
  /** Handed to a job (or a ping) that has not begun yet: not free for another. */
  reserved = false;
  readonly #launched: Launched;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array>;
  readonly #encoder = new TextEncoder();
  readonly #pongs = new Map<string, () => void>();
  #readyWaiters: (() => void)[] = [];
  #job: CurrentJob | null = null;

  constructor(
    config: RunnerConfig,
    launched: Launched,
    readonly slot: number,
    log: RunnerLog,
  ) {
    this.#launched = launched;
    this.pid = launched.pid;
    this.#stdin = launched.stdin!.getWriter();
    const source = `${config.name}#${slot}`;
    // Whether the piece before was part of a long line, and of a frame too long to take.
    let continues = false;
    let droppingFrame = false;
    const output = Promise.all([
      forEachLine(launched.stdout, (line, partial) => {
        const first = !continues;
        continues = partial;
        if (first && partial && line.startsWith(FRAME_PREFIX)) {
          droppingFrame = true;
          log.add(
            "supervisor",
            `${source}: a frame longer than ${MAX_FRAME_CHARS} characters was dropped`,
          );
        }
        if (droppingFrame) {
          droppingFrame = partial;
          return;
        }
        if (!first || partial || !line.startsWith(FRAME_PREFIX)) {
          return log.add(`${source} stdout`, line);
        }
        const frame = decodeFrame<FromRunnerFrame>(
          line.slice(FRAME_PREFIX.length),
          RUNNER_FRAMES,
        );
        if (frame) return this.#onFrame(frame);
        log.add(`${source} stdout`, `(malformed frame) ${line}`);
      }, MAX_FRAME_CHARS + FRAME_PREFIX.length).catch(() => {}),
      launched.stderr
        ? forEachLine(
          launched.stderr,
          (line) => log.add(`${source} stderr`, line.endsWith("\r") ? line.slice(0, -1) : line),
        ).catch(() => {})
        : Promise.resolve(),
    ]);
    // The program gone, nothing it started may run on (nor hold its output open).
    launched.status.then(() => launched.kill());
    this.exited = Promise.all([launched.status, output]).then(
      async ([status]) => {
        await this.#stdin.abort().catch(() => {});
        const memory = launched.memoryExceeded();
        await launched.release();
        if (memory) {
          this.#job?.settle({
            kind: "lost",
            message: `the runner process exceeded its memory limit of ${config.memory_mb} MB ` +
              "(memory_mb) while running the job",
          });
        }
        this.#job?.settle({
          kind: "lost",
          message: `the runner process ${describeExit(status)} while running the job`,
        });
        for (const wake of this.#pongs.values()) wake();
        return status;
      },
    );
  }

  get busy(): boolean {
    return this.#job !== null || this.reserved;
  }

  #onFrame(frame: FromRunnerFrame): void | Promise<void> {
    switch (frame.type) {
      case "ready":
        return this.#becomeReady();
      case "pong":
        this.#pongs.get(frame.id)?.();
        return this.#becomeReady();
      case "log":
        if (frame.job_id === this.#job?.id) {
          return this.#job.log.write(
            frame.stream === "stderr" ? "stderr" : "stdout",
            frame.line,
          );
        }
        return;
      case "result":
        if (frame.job_id === this.#job?.id) {
          const problem = resultProblem(frame.value ?? null);
          this.#job.settle(
            problem
              ? { kind: "error", message: problem }
              : { kind: "success", value: frame.value ?? null },
          );
        }
        return;
      case "error":
        if (frame.job_id === this.#job?.id) {
          this.#job.settle({ kind: "error", message: frame.message });
        }
        return;
    }
  }

  #becomeReady(): void {
    if (this.ready) return;
    this.ready = true;
    for (const wake of this.#readyWaiters) wake();
    this.#readyWaiters = [];
  }

  /** Resolves when ready; rejects if the process exits first or `timeoutMs` passes. */
  whenReady(timeoutMs: number): Promise<void> {
    if (this.ready) return Promise.resolve();
    // Readiness is a frame: `ready`, or the answer to this first ping.
    this.ping(timeoutMs).catch(() => {});
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`it did not become ready within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.exited.then((status) => {
        clearTimeout(timer);
        reject(new Error(`it ${describeExit(status)} before it was ready`));
      });
      this.#readyWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  send(frame: ToRunnerFrame): Promise<void> {
    return this.#stdin.write(this.#encoder.encode(encodeFrame(frame))).catch(
      () => {},
    );
  }

  /** Sends a ping; resolves on its pong, rejects after `timeoutMs` or if the process exits. */
  async ping(timeoutMs: number): Promise<void> {
    const id = crypto.randomUUID();
    let timer: Timer | undefined;
    const answered = new Promise<boolean>((resolve) => {
      this.#pongs.set(id, () => resolve(true));
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    await this.send({ type: "ping", id });
    const ok = await answered;
    clearTimeout(timer);
    this.#pongs.delete(id);
    if (!ok) {
      throw new Error(
        `process ${this.pid} did not answer a ping within ${timeoutMs} ms`,
      );
    }
    const status = await Promise.race([this.exited, Promise.resolve(null)]);
    if (status) throw new Error(`process ${this.pid} ${describeExit(status)}`);
  }

  /** Runs one job on this process. */
  async run(
    { job, log, signal, deps }: Execution,
    graceMs: number,
  ): Promise<Outcome> {
    const outcome = new Promise<Outcome>((resolve) => {
      this.#job = { id: job.id, log, settle: resolve };
    });
    this.reserved = false;
    const onAbort = async () => {
      await this.send({
        type: "stop",
        job_id: job.id,
        reason: String(signal.reason?.message ?? ""),
      });
      let timer: Timer | undefined;
      const stopped = await Promise.race([
        outcome.then(() => true),
        new Promise<boolean>((
          r,
        ) => (timer = setTimeout(() => r(false), graceMs))),
      ]);
      clearTimeout(timer);
      // A program that does not end the job when asked loses its process (and gets a new one).
      if (!stopped) {
        this.replace = true;
        await this.kill(graceMs);
      }
    };
    signal.addEventListener("abort", onAbort, { once: true });
    await this.send({
      type: "job",
      job: {
        id: job.id,
        payload: job.payload,
        caller_id: job.caller_id,
        context_id: job.context_id,
        env_vars: job.env_vars ?? {},
        timeout: job.timeout ?? 60,
        attempt: job.attempts,
        ...(deps ? { deps } : {}),
      },
    });
    try {
      return await outcome;
    } finally {
      signal.removeEventListener("abort", onAbort);
      this.#job = null;
    }
  }

  /** SIGTERM to it and what it started, then SIGKILL to all after `graceMs`. */
  async kill(graceMs: number): Promise<void> {
    await this.#stdin.close().catch(() => {});
    await terminateGroup(this.pid, this.exited, graceMs, (_, signal) => {
      if (signal !== "SIGKILL") return this.#launched.signal(signal);
      this.#launched.kill();
      return true;
    });
  }

  /** Ends it and all it started at once. */
  killNow(): void {
    this.#launched.kill();
  }
}

/** Settings of a {@linkcode ProcessExecutor}. */
export interface ProcessExecutorOptions {
  config: RunnerConfig;
  /** Starts its instances (`simple` in the OS sandbox, or `tmux:SESSION`). */
  launcher: Launcher;
  /** Which layer confines them. */
  sandbox?: SandboxStatus;
  /** Environment under the runner's own `env` (PATH, HOME). */
  baseEnv: Record<string, string>;
  log: RunnerLog;
  hooks: ExecutorHooks;
  graceMs: number;
  /** How long a new process may take to become ready, ms. */
  readyTimeoutMs: number;
}

/** Runs jobs on copies of an external program. */
export class ProcessExecutor implements Executor {
  readonly #o: ProcessExecutorOptions;
  #size: number;
  readonly #slots: (ProcessInstance | null)[] = [];
  readonly #waiters = new WaiterQueue<ProcessInstance>();
  /** Slots whose program is being started. */
  readonly #launching = new Launching();
  #stopped = false;

  constructor(options: ProcessExecutorOptions) {
    this.#o = options;
    this.#size = options.config.instances ?? 1;
  }

  get idle(): number {
    return this.#slots.filter((i) => i?.ready && !i.busy).length;
  }

  get pids(): number[] {
    return this.#slots.filter((i): i is ProcessInstance => i !== null).map((
      i,
    ) => i.pid);
  }

  get sandbox(): SandboxStatus | undefined {
    return this.#o.sandbox;
  }

  start(): void {
    this.#stopped = false;
    this.recover();
  }

  /** Starts a process in every empty slot. */
  recover(): void {
    for (let slot = 0; slot < this.#size && !this.#stopped; slot++) {
      if (!this.#slots[slot] && !this.#launching.has(slot)) this.#spawn(slot);
    }
  }

  async #spawn(slot: number): Promise<void> {
    const { config, baseEnv, log, hooks } = this.#o;
    this.#launching.add(slot);
    let instance: ProcessInstance;
    try {
      const launched = await this.#o.launcher.launch(launchSpec(config, slot, {
        ...baseEnv,
        ...(config.env ?? {}),
        HERO_RUNNER_NAME: config.name,
        HERO_RUNNER_INSTANCE: String(slot),
        HERO_PROTOCOL: "1",
      }, true));
      instance = new ProcessInstance(config, launched, slot, log);
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
    if (this.#stopped) {
      instance.retiring = true;
      instance.kill(this.#o.graceMs);
      return;
    }
    this.#slots[slot] = instance;
    log.add(
      "supervisor",
      `started ${config.binary_path} as pid ${instance.pid} (instance ${slot}, ${this.#o.launcher.name})`,
    );
    instance.whenReady(this.#o.readyTimeoutMs).then(
      () => {
        hooks.onReady();
        this.#offer(instance);
      },
      (error: Error) => {
        log.add(
          "supervisor",
          `instance ${slot} (pid ${instance.pid}): ${error.message}`,
        );
        // Not ready in time: end it; its exit is the failure the runner acts on.
        if (!instance.retiring) instance.killNow();
      },
    );
    instance.exited.then((status) => {
      if (this.#slots[slot] === instance) this.#slots[slot] = null;
      log.add(
        "supervisor",
        `instance ${slot} (pid ${instance.pid}) ${describeExit(status)}`,
      );
      if (this.#stopped) return;
      // Killed because a job would not end (stop, timeout): the job's outcome, not a crash
      // of the runner. It is replaced at once.
      if (instance.replace) return this.#spawn(slot);
      if (instance.retiring) return;
      hooks.onFailure({
        // A clean exit 0 is normal, ready or not (Restart=on-failure keeps it down).
        abnormal: status.code !== 0 || status.signal !== null,
        code: status.code,
        signal: status.signal ?? undefined,
        uptimeMs: Date.now() - instance.startedAt,
        message: `process ${instance.pid} ${describeExit(status)}`,
      });
    });
  }

  /** Gives an idle instance to the first waiting job (reserved for it at once). */
  #offer(instance: ProcessInstance): void {
    if (
      !instance.ready || instance.busy || instance.retiring ||
      this.#waiters.length === 0
    ) return;
    instance.reserved = true;
    this.#waiters.serve(instance);
  }

  /** A free instance, reserved for the caller; waits for one when none is free. */
  #acquire(signal: AbortSignal): Promise<ProcessInstance> {
    const free = this.#slots.find((i) => i?.ready && !i.busy && !i.retiring);
    if (free) {
      free.reserved = true;
      return Promise.resolve(free);
    }
    if (this.#stopped) {
      return Promise.reject(new Error("the runner is stopping"));
    }
    return this.#waiters.wait(signal);
  }

  async execute(execution: Execution): Promise<Outcome> {
    const instance = await this.#acquire(execution.signal);
    try {
      return await instance.run(execution, this.#o.graceMs);
    } finally {
      if (instance.slot >= this.#size) {
        instance.retiring = true;
        instance.kill(this.#o.graceMs);
      } else {
        this.#offer(instance);
      }
    }
  }

  /** Pings every idle process; with none idle, waits up to `timeoutMs` for one to be ready. */
  async ping(timeoutMs: number): Promise<void> {
    let idle = this.#slots.filter((i): i is ProcessInstance => !!i?.ready && !i.busy);
    let acquired: ProcessInstance | null = null;
    if (idle.length === 0) {
      const timeout = new AbortController();
      const timer = setTimeout(
        () =>
          timeout.abort(
            new Error(`no process was ready within ${timeoutMs} ms`),
          ),
        timeoutMs,
      );
      try {
        idle = [acquired = await this.#acquire(timeout.signal)];
      } finally {
        clearTimeout(timer);
      }
    }
    try {
      await Promise.all(idle.map((i) => i.ping(timeoutMs)));
    } finally {
      if (acquired) {
        // Pinged, it is free again for jobs.
        acquired.reserved = false;
        this.#offer(acquired);
      }
    }
  }

  resize(instances: number): void {
    this.#size = instances;
    this.#slots.forEach((instance, slot) => {
      if (instance && slot >= instances && !instance.busy) {
        instance.retiring = true;
        instance.kill(this.#o.graceMs);
      }
    });
    this.recover();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#waiters.rejectAll(new Error("the runner is stopping"));
    await this.#launching.idle();
    const all = this.#slots.filter((i): i is ProcessInstance => i !== null);
    for (const instance of all) instance.retiring = true;
    await Promise.all(all.map((i) => i.kill(this.#o.graceMs)));
  }
}
