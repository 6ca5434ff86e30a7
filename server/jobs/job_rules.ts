/**
 * The rules of a job's life, in one place: which statuses allow which
 * operation, and what an execution's outcome does to the job (complete it,
 * fail it, or queue it again after a backoff).
 *
 * Both the supervisor and remote runner agents apply these rules; the stores
 * only carry them out atomically.
 *
 * @module
 */

import type { JobResult, JobStatus } from "../../shared/types.generated.ts";
import { FINAL_STATUSES, type JobRecord, type Transition } from "../store/store.ts";

/** Statuses from which `job.start` may queue a job. */
export const STARTABLE: readonly JobStatus[] = ["created"];
/** Statuses from which `job.stop` may stop a job. */
export const STOPPABLE: readonly JobStatus[] = ["created", "scheduled", "queued", "running"];
/** Statuses in which `job.delete` may remove a job. */
export const DELETABLE: readonly JobStatus[] = ["created", "scheduled", ...FINAL_STATUSES];

/** How one execution of a job ended. */
export type Outcome =
  | { kind: "success"; value: unknown }
  | { kind: "error"; message: string }
  | { kind: "timeout"; message: string }
  | { kind: "stopped"; message: string }
  /** The runner went away while holding the job (its lease ran out, its process died). */
  | { kind: "lost"; message: string }
  /** The runner stopped (shutdown, stop, scale down): the job goes back to its queue. */
  | { kind: "interrupted"; message: string };

/** Retry backoff: the first delay, doubled per attempt up to a cap, plus up to 10% jitter. */
export interface RetryPolicy {
  baseMs: number;
  maxMs: number;
  /** A number in [0, 1): the jitter draw (injectable for tests). */
  random?: () => number;
}

/** The delay before retry number `attempt` (1 for the first retry). */
export function retryDelay(attempt: number, policy: RetryPolicy): number {
  const exponential = Math.min(
    policy.baseMs * 2 ** (attempt - 1),
    policy.maxMs,
  );
  return Math.round(exponential * (1 + 0.1 * (policy.random ?? Math.random)()));
}

/**
 * The transition an outcome makes, for a job held by `worker`. Errors and
 * lost runners are retried while `attempts <= retries`; a stop or a timeout
 * never is.
 */
export function outcomeTransition(
  job: JobRecord,
  outcome: Outcome,
  now: number,
  policy: RetryPolicy,
  worker?: string,
): Transition {
  const base = { from: ["running"] as JobStatus[], worker, now };
  switch (outcome.kind) {
    case "success":
      return {
        ...base,
        to: "completed",
        set: { result: outcome.value ?? null, finished_at: now },
        unset: ["error"],
      };
    case "timeout":
    case "stopped":
      return {
        ...base,
        to: outcome.kind,
        set: { error: outcome.message, finished_at: now },
      };
    case "interrupted":
      // Not the job's fault: this start does not count against its retries.
      return {
        ...base,
        to: "queued",
        set: { attempts: Math.max(0, job.attempts - 1) },
        unset: ["run_after"],
      };
    case "error":
    case "lost": {
      if (job.attempts <= (job.retries ?? 0)) {
        return {
          ...base,
          to: "queued",
          set: {
            error: outcome.message,
            run_after: now + retryDelay(job.attempts, policy),
          },
        };
      }
      const tries = job.attempts > 1 ? ` (after ${job.attempts} attempts)` : "";
      return {
        ...base,
        to: "failed",
        set: { error: outcome.message + tries, finished_at: now },
      };
    }
  }
}

/** A final job's result as the API returns it. */
export function jobResult(job: JobRecord): JobResult {
  if (job.status === "completed") return { success: job.result ?? null };
  return { error: job.error ?? `job ${job.status}` };
}
