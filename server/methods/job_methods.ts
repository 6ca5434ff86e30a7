/**
 * Handlers of the job methods (`jobs.*`, `job.*`, `queue_job_to_runner`).
 *
 * @module
 */

import { queueDepths } from "../metrics/metrics.ts";
import { invalidParams, unavailable } from "../rpc/rpc_error.ts";
import { auditOf, type MethodHandlers, type Services } from "./services.ts";

type JobMethod =
  | "jobs.create"
  | "jobs.create_many"
  | "jobs.list"
  | "job.run"
  | "job.start"
  | "job.stop"
  | "job.delete"
  | "job.status"
  | "job.get"
  | "job.result"
  | "job.logs"
  | "queue_job_to_runner"
  | "get_stats";

/** The job methods over the job service. */
export function jobMethods(
  { jobs, draining, stats, store, runners }: Services,
): MethodHandlers<JobMethod> {
  const accepting = () => {
    if (draining()) {
      throw unavailable(
        "the supervisor is shutting down: it takes no new jobs",
      );
    }
  };
  return {
    "jobs.create": async ({ job }) => {
      accepting();
      return (await jobs.create(job, false)).id;
    },
    "jobs.create_many": ({ jobs: specs, start }) => {
      accepting();
      return jobs.createMany(specs, start ?? false);
    },
    "jobs.list": (p) => jobs.list({ ...p, limit: p.limit ?? 100 }),
    "get_stats": async ({ minutes }) => {
      const [counts, queued] = await Promise.all([
        store.countJobs(),
        queueDepths(store, runners),
      ]);
      return {
        now: stats.now(),
        bucket_s: stats.bucketMs / 1000,
        buckets: stats.buckets(minutes ?? 15),
        jobs: counts,
        queued,
      };
    },
    "job.run": ({ job, wait_ms }, ctx) => {
      accepting();
      return jobs.run(job, wait_ms, ctx.signal);
    },
    "job.start": async ({ job_id }) => {
      accepting();
      await jobs.start(job_id);
      return null;
    },
    "job.stop": async (p, ctx) => {
      const audit = auditOf(p, ctx);
      await jobs.stop(p.job_id, audit.reason, audit.requested_by);
      return null;
    },
    "job.delete": async ({ job_id }) => {
      await jobs.delete(job_id);
      return null;
    },
    "job.status": ({ job_id }) => jobs.status(job_id),
    "job.get": ({ job_id }) => jobs.get(job_id),
    "job.result": ({ job_id, wait_ms }, ctx) => jobs.result(job_id, wait_ms, ctx.signal),
    "job.logs": ({ job_id, after, limit, wait_ms }, ctx) =>
      jobs.logs(job_id, after ?? 0, limit ?? 1000, wait_ms ?? 0, ctx.signal),
    "queue_job_to_runner": async ({ runner, job }) => {
      accepting();
      if (job.runner !== undefined && job.runner !== runner) {
        throw invalidParams(
          `job.runner: "${job.runner}" differs from runner "${runner}"`,
        );
      }
      return (await jobs.create({ ...job, runner }, true)).id;
    },
  };
}
