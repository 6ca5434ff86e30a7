/**
 * What each kind of runner implements: running one job to its outcome, and
 * keeping the processes that do it.
 *
 * @module
 */

import type { Outcome } from "../jobs/job_rules.ts";
import type { JobLogWriter } from "../logs/job_log_writer.ts";
import type { JobRecord } from "../store/store.ts";
import type { SandboxStatus } from "../sandbox/mod.ts";

/** One job to run. */
export interface Execution {
  job: JobRecord;
  /** Where its output lines go. */
  log: JobLogWriter;
  /**
   * Aborted when the job must end now (stopped, timed out, lease lost, runner
   * stopping): the executor then kills everything the job started and returns.
   */
  signal: AbortSignal;
  /** What its prerequisites (`depends_on`) returned, by id: what a flow passes along. */
  deps?: Record<string, unknown>;
}

/** A runner process that ended when it should not have, or never became ready. */
export interface ProcessFailure {
  /** A non-zero exit code, a signal, or a failure to start; a clean exit 0 is not abnormal. */
  abnormal: boolean;
  code?: number;
  signal?: string;
  /** How long it had been up, ms. */
  uptimeMs: number;
  message: string;
}

/** What an executor tells its runner. */
export interface ExecutorHooks {
  /** A process failed; the runner's supervision decides whether and when to `recover()`. */
  onFailure(failure: ProcessFailure): void;
  /** A process became ready. */
  onReady(): void;
  /** A oneshot service's program exited 0: the runner's work is done. */
  onCompleted?(): void;
}

/** The part of a runner that runs jobs. */
export interface Executor {
  /** Starts its processes. */
  start(): void;
  /** Runs one job; resolves with how it ended (the consumer overrides it when aborted). */
  execute(execution: Execution): Promise<Outcome>;
  /** Proves a process answers: resolves, or rejects after `timeoutMs` or on failure. */
  ping(timeoutMs: number): Promise<void>;
  /** Starts processes again where failed ones were (after the restart delay). */
  recover(): void;
  /** Changes how many jobs may run at once. */
  resize(instances: number): void;
  /** Ends its processes. Jobs still running were aborted before. */
  stop(): Promise<void>;
  /** Instances ready and waiting now. */
  readonly idle: number;
  /** Pids of its processes. */
  readonly pids: number[];
  /** Which layer enforces what for its processes (none for a noop runner). */
  readonly sandbox?: SandboxStatus;
}
