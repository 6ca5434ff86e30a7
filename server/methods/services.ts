/**
 * What method handlers work with, and the types that make the handler
 * table complete: a method of the table without a handler does not compile.
 *
 * @module
 */

import type { MethodName, MethodParams, MethodResults } from "../../shared/types.generated.ts";
import type { ClusterMember, SupervisorInfo } from "../../shared/types.generated.ts";
import type { SupervisorConfig } from "../config/config_schema.ts";
import type { EventLog } from "../events/event_log.ts";
import type { JobService } from "../jobs/job_service.ts";
import type { SecretRegistry } from "../auth/secret_registry.ts";
import type { CallContext } from "../rpc/dispatch.ts";
import type { RunnerManager } from "../runners/runner_manager.ts";
import type { Audit } from "../runners/runner.ts";
import type { JobStats } from "../metrics/job_stats.ts";
import type { Store } from "../store/store.ts";
import type { ScheduleService } from "../schedules/mod.ts";

/** The parts of the supervisor that handlers call. */
export interface Services {
  config: SupervisorConfig;
  store: Store;
  jobs: JobService;
  runners: RunnerManager;
  secrets: SecretRegistry;
  events: EventLog;
  /** Jobs that ended here, as a time series. */
  stats: JobStats;
  /** True once shutdown began: no new job is accepted. */
  draining(): boolean;
  /** The supervisor's own facts. */
  info(): Promise<SupervisorInfo>;
  /** The OpenRPC document, listing `serverUrl` as its server. */
  openrpc(serverUrl?: string): Record<string, unknown>;
  /** Stops the whole tree gracefully, then the supervisor (after this call is answered). */
  shutdown(audit: Audit): void;
  /** The members of the cluster (this supervisor, others on the store, agents). */
  members(): Promise<ClusterMember[]>;
  /** Cron schedules. */
  schedules: ScheduleService;
}

/** The handler of one method, typed by the method table. */
export type MethodHandler<M extends MethodName> = (
  params: MethodParams[M],
  ctx: CallContext,
) => MethodResults[M] | Promise<MethodResults[M]>;

/** Handlers for a set of methods. */
export type MethodHandlers<M extends MethodName> = {
  [K in M]: MethodHandler<K>;
};

/** Who a call is recorded as: the `requested_by` param, else the secret's kind and fingerprint. */
export function auditOf(
  params: { requested_by?: string; reason?: string },
  ctx: CallContext,
): Audit & { requested_by: string } {
  const requested_by = params.requested_by ??
    (ctx.principal ? `${ctx.principal.kind}:${ctx.principal.fingerprint}` : "anonymous");
  return params.reason === undefined ? { requested_by } : { requested_by, reason: params.reason };
}
