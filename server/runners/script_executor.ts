/**
 * The `script` runner kind: each job's payload runs as an ES module in a
 * fresh Deno process with exactly the runner's permissions, taken from a
 * warm pool (`server/sessions/`).
 *
 * @module
 */

import type { RunnerConfig } from "../../shared/types.generated.ts";
import type { Outcome } from "../jobs/job_rules.ts";
import type { Confinement, Sandbox, SandboxStatus } from "../sandbox/mod.ts";
import { permissionFlags } from "../sessions/deno_flags.ts";
import type { SessionChannel } from "../sessions/session_channel.ts";
import type { SessionDenoDir } from "../sessions/session_deno_dir.ts";
import { SessionPool } from "../sessions/session_pool.ts";
import { SessionProcess } from "../sessions/session_process.ts";
import type { Execution, Executor, ExecutorHooks } from "./executor.ts";
import type { RunnerLog } from "./runner_log.ts";

/** The host program of session processes. */
export const SESSION_HOST = new URL("../sessions/session_host.js", import.meta.url).pathname;

/** What every script runner of a supervisor shares. */
export interface ScriptRuntime {
  channel: SessionChannel;
  /** The `deno` executable. */
  deno: string;
  /** The OS layer sessions are confined by. */
  sandbox: Sandbox;
  /** The user's module caches that session DENO_DIRs link to. */
  sharedCaches: string[];
  /** Environment every session gets (PATH, HOME); jobs cannot read it without a grant. */
  baseEnv: Record<string, string>;
  /** Where sessions get their DENO_DIR. */
  denoDir: SessionDenoDir;
  /** Working directory of sessions. */
  workDir: string;
  /** A private dir (0700) for what runners' programs need (tmux windows' FIFOs). */
  programsDir: string;
}

/** Settings of a {@linkcode ScriptExecutor}. */
export interface ScriptExecutorOptions {
  config: RunnerConfig;
  runtime: ScriptRuntime;
  log: RunnerLog;
  hooks: ExecutorHooks;
  graceMs: number;
}

/**
 * The longest a session whose job can start no process gets to end by
 * itself when stopped: it has nothing to clean up, and a job that ignores
 * SIGTERM (a busy loop) must not delay its timeout by the whole grace.
 */
const PLAIN_SESSION_GRACE_MS = 500;

/** Jobs a reused session serves before it is replaced (runner isolation), by default. */
export const DEFAULT_MAX_JOBS = 10_000;

/** Runs jobs in warm, permission-scoped Deno processes. */
export class ScriptExecutor implements Executor {
  readonly #options: ScriptExecutorOptions;
  readonly #pool: SessionPool;
  readonly #confinement: Confinement;
  /** SIGTERM-to-SIGKILL grace of a job's session. */
  readonly #jobGraceMs: number;
  /** Runner isolation: sessions serve many jobs. */
  readonly #reuse: boolean;
  readonly #startsProcesses: boolean;
  readonly #maxJobs: number;
  /** Resident memory past which a reused session is replaced, bytes. */
  readonly #memoryMark: number;

  constructor(options: ScriptExecutorOptions) {
    this.#options = options;
    const { config, runtime, log } = options;
    const { flags, revoke, startsProcesses } = permissionFlags(
      config.permissions,
      runtime.channel.path,
      runtime.workDir,
      // Deno reads the registry from the session's environment, which the runner's `env` may set.
      config.env?.NPM_CONFIG_REGISTRY,
    );
    const memoryMb = config.memory_mb ?? 256;
    this.#reuse = config.isolation === "runner";
    this.#startsProcesses = startsProcesses;
    this.#maxJobs = config.max_jobs ?? DEFAULT_MAX_JOBS;
    this.#memoryMark = memoryMb * 1024 * 1024 * 0.75;
    this.#jobGraceMs = startsProcesses
      ? options.graceMs
      : Math.min(options.graceMs, PLAIN_SESSION_GRACE_MS);
    this.#confinement = runtime.sandbox.confineSessions({
      permissions: config.permissions ?? {},
      memoryMb,
      pidsMax: config.pids_max,
      cpus: config.cpu,
      deno: runtime.deno,
      hostPath: SESSION_HOST,
      socket: runtime.channel.path,
      cwd: runtime.workDir,
      sharedCaches: runtime.sharedCaches,
    });
    for (const path of this.#confinement.status.paths ?? []) {
      if (path.resolved === null) {
        log.add(
          "supervisor",
          `permissions.${path.access}: ${path.path} does not exist: not granted`,
        );
      }
    }
    this.#pool = new SessionPool({
      size: config.instances ?? 1,
      reuse: this.#reuse,
      graceMs: options.graceMs,
      onFailure: (error) =>
        options.hooks.onFailure({
          abnormal: true,
          uptimeMs: 0,
          message: error.message,
        }),
      onReady: () => options.hooks.onReady(),
      spawn: () =>
        new SessionProcess({
          deno: runtime.deno,
          hostPath: SESSION_HOST,
          permissionFlags: flags,
          revoke,
          ownGroup: startsProcesses,
          memoryMb,
          confinement: this.#confinement,
          reuse: this.#reuse,
          env: {
            ...runtime.baseEnv,
            DENO_DIR: runtime.denoDir.forNextSession(),
            ...(config.env ?? {}),
          },
          cwd: runtime.workDir,
          channel: runtime.channel,
        }, (stream, line) => log.add(stream, line)),
    });
  }

  get idle(): number {
    return this.#pool.idle;
  }

  /** Which layer enforces what for its sessions. */
  get sandbox(): SandboxStatus {
    return this.#confinement.status;
  }

  get pids(): number[] {
    return this.#pool.pids;
  }

  start(): void {
    this.#pool.fill();
  }

  async execute({ job, log, signal, deps }: Execution): Promise<Outcome> {
    const warm = this.#pool.acquire(signal);
    const session = warm instanceof Promise ? await warm : warm;
    session.jobs++;
    const kill = () => session.kill(this.#jobGraceMs);
    signal.addEventListener("abort", kill, { once: true });
    try {
      return await session.run(
        {
          id: job.id,
          caller_id: job.caller_id,
          context_id: job.context_id,
          env_vars: job.env_vars ?? {},
          attempt: job.attempts,
          ...(deps ? { deps } : {}),
        },
        job.payload,
        (stream, line, ts, partial) => log.write(stream, line, ts, partial),
      );
    } finally {
      signal.removeEventListener("abort", kill);
      if (this.#reuse) this.#afterJob(session, signal.aborted);
    }
  }

  /**
   * Runner isolation: a session that ran a job serves the next one, unless
   * the job was stopped (its process is being killed), it has run
   * `max_jobs`, it holds more than three quarters of `memory_mb`, or the job
   * left processes running (a `run` grant: what they do cannot be undone).
   */
  #afterJob(session: SessionProcess, aborted: boolean): void {
    const { reusable, rss } = session.state;
    // Processes it cannot count are taken to be left behind.
    const count = this.#startsProcesses ? session.processCount() : 0;
    const leftovers = count === null || count > session.baselineProcesses;
    if (
      !aborted && reusable && !leftovers && session.jobs < this.#maxJobs &&
      rss < this.#memoryMark
    ) {
      this.#pool.release(session);
    } else if (!aborted) {
      session.kill(0);
    }
  }

  async ping(timeoutMs: number): Promise<void> {
    const abort = new AbortController();
    const timer = setTimeout(
      () => abort.abort(new Error(`no answer to a ping within ${timeoutMs} ms`)),
      timeoutMs,
    );
    try {
      const session = await this.#pool.acquire(abort.signal);
      const kill = () => session.kill(0);
      abort.signal.addEventListener("abort", kill, { once: true });
      const outcome = await session.run(
        { id: "ping", env_vars: {}, attempt: 1 },
        'export default () => "pong";',
        () => {},
      );
      if (this.#reuse) this.#afterJob(session, abort.signal.aborted);
      if (abort.signal.aborted) throw abort.signal.reason;
      if (outcome.kind !== "success" || outcome.value !== "pong") {
        throw new Error(
          `a ping failed: ${outcome.kind === "error" ? outcome.message : "bad answer"}`,
        );
      }
    } finally {
      clearTimeout(timer);
    }
  }

  recover(): void {
    this.#pool.recover();
  }

  resize(instances: number): void {
    this.#pool.resize(instances);
  }

  async stop(): Promise<void> {
    await this.#pool.close();
  }
}
