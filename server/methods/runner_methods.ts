/**
 * Handlers of the runner methods: registration, control, status, events.
 *
 * @module
 */

import { ErrorCode } from "../../shared/errors.ts";
import { registerProblem } from "../auth/register_policy.ts";
import { RpcError } from "../rpc/rpc_error.ts";
import { auditOf, type MethodHandlers, type Services } from "./services.ts";
import type { RunnerConfig } from "../../shared/types.generated.ts";
import type { CallContext } from "../rpc/dispatch.ts";
import type { Audit } from "../runners/runner.ts";
import type { ControlArgs, ControlOp } from "../cluster/mod.ts";

type RunnerMethod =
  | "register_runner"
  | "add_runner"
  | "shutdown"
  | "remove_runner"
  | "list_runners"
  | "start_runner"
  | "stop_runner"
  | "restart_runner"
  | "pause_runner"
  | "resume_runner"
  | "quarantine_runner"
  | "scale_runner"
  | "get_runner_status"
  | "get_all_runner_status"
  | "get_runner_logs"
  | "start_all"
  | "stop_all"
  | "get_all_status"
  | "current_state"
  | "cluster.members"
  | "events.list";

/** The runner methods over the runner manager. */
export function runnerMethods(s: Services): MethodHandlers<RunnerMethod> {
  const { runners } = s;
  /** A control operation on a runner wherever it lives; answers its status after. */
  const controlled = async (name: string, op: ControlOp, args: ControlArgs, audit: Audit) => {
    await runners.control(name, op, args, audit);
    return await runners.status(name);
  };
  /** `register_runner` and its alias `add_runner`. */
  const register = async (runner: RunnerConfig, ctx: CallContext) => {
    // A valid runner beyond a register secret's ceiling is refused (after its validation).
    const ceiling = ctx.principal?.kind === "register"
      ? (config: typeof runner) => {
        const problem = registerProblem(config, s.config.register_policy);
        if (problem) {
          throw new RpcError(
            ErrorCode.Forbidden,
            `Forbidden: a register secret may not register this runner: ${problem}`,
          );
        }
      }
      : undefined;
    await runners.register(runner, auditOf({}, ctx), ceiling);
    return await runners.status(runner.name);
  };
  return {
    "register_runner": async ({ runner }, ctx) => await register(runner, ctx),
    "add_runner": async ({ runner }, ctx) => await register(runner, ctx),
    "shutdown": (p, ctx) => {
      s.shutdown(auditOf(p, ctx));
      return null;
    },
    "remove_runner": async (p, ctx) => {
      await runners.remove(p.name, auditOf(p, ctx));
      // Its waiting jobs fail at once, unless remote agents still serve the name.
      if (!await s.runners.config(p.name)) await s.jobs.failOrphans(p.name);
      return null;
    },
    "list_runners": () => runners.names(),
    "start_runner": (p, ctx) => controlled(p.name, "start", {}, auditOf(p, ctx)),
    "stop_runner": (p, ctx) => controlled(p.name, "stop", {}, auditOf(p, ctx)),
    "restart_runner": (p, ctx) => controlled(p.name, "restart", {}, auditOf(p, ctx)),
    "pause_runner": (p, ctx) => controlled(p.name, "pause", {}, auditOf(p, ctx)),
    "resume_runner": (p, ctx) => controlled(p.name, "resume", {}, auditOf(p, ctx)),
    "quarantine_runner": (p, ctx) => controlled(p.name, "quarantine", {}, auditOf(p, ctx)),
    "scale_runner": (p, ctx) =>
      controlled(p.name, "scale", { instances: p.instances }, auditOf(p, ctx)),
    "get_runner_status": ({ name }) => runners.status(name),
    "get_all_runner_status": () => runners.statuses(),
    "get_runner_logs": async ({ name, lines }, ctx) =>
      (await runners.control(name, "logs", { lines: lines ?? 100 }, auditOf({}, ctx))) ?? [],
    "start_all": async (p, ctx) => {
      await runners.startAll(auditOf(p, ctx));
      return null;
    },
    "stop_all": async (p, ctx) => {
      await runners.stopAll(auditOf(p, ctx));
      return null;
    },
    "cluster.members": () => s.members(),
    "get_all_status": async () => ({
      runners: await runners.statuses(),
      jobs: await s.store.countJobs(),
    }),
    "current_state": async () => {
      const supervisor = await s.info();
      return {
        supervisor,
        runners: await runners.statuses(),
        start_order: runners.startOrder(),
        jobs: supervisor.jobs,
      };
    },
    "events.list": ({ after, limit, type, subject }) =>
      s.events.list(after ?? 0, limit ?? 100, type, subject),
  };
}
