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
  | "events.list";

/** The runner methods over the runner manager. */
export function runnerMethods(s: Services): MethodHandlers<RunnerMethod> {
  const { runners } = s;
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
    "start_runner": async (p, ctx) => {
      await runners.start(p.name, auditOf(p, ctx), false);
      return await runners.status(p.name);
    },
    "stop_runner": async (p, ctx) => {
      await runners.get(p.name).stop(auditOf(p, ctx));
      return await runners.status(p.name);
    },
    "restart_runner": async (p, ctx) => {
      const runner = runners.get(p.name);
      runner.restart(auditOf(p, ctx)).catch(() => {});
      return await runners.status(runner.name);
    },
    "pause_runner": async (p, ctx) => {
      runners.get(p.name).pause(auditOf(p, ctx));
      return await runners.status(p.name);
    },
    "resume_runner": async (p, ctx) => {
      const runner = runners.get(p.name);
      const resuming = runner.resume(auditOf(p, ctx));
      if (runner.state === "paused" || runner.state === "running") {
        await resuming;
      } else resuming.catch(() => {});
      return await runners.status(p.name);
    },
    "quarantine_runner": async (p, ctx) => {
      await runners.get(p.name).quarantine(auditOf(p, ctx));
      return await runners.status(p.name);
    },
    "scale_runner": async (p, ctx) => {
      runners.get(p.name).scale(p.instances, auditOf(p, ctx));
      return await runners.status(p.name);
    },
    "get_runner_status": ({ name }) => runners.status(name),
    "get_all_runner_status": () => runners.statuses(),
    "get_runner_logs": ({ name, lines }) => runners.get(name).log.tail(lines ?? 100),
    "start_all": async (p, ctx) => {
      await runners.startAll(auditOf(p, ctx));
      return null;
    },
    "stop_all": async (p, ctx) => {
      await runners.stopAll(auditOf(p, ctx));
      return null;
    },
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
