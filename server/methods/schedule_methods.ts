/**
 * The `schedules.*` methods over the schedule service: each call acts as
 * its secret (a user secret on its own schedules only).
 *
 * @module
 */

import { callerOf } from "../schedules/mod.ts";
import type { MethodHandlers, Services } from "./services.ts";

type ScheduleMethod =
  | "schedules.create"
  | "schedules.list"
  | "schedules.get"
  | "schedules.update"
  | "schedules.pause"
  | "schedules.resume"
  | "schedules.trigger"
  | "schedules.delete";

/** The schedule methods. */
export function scheduleMethods({ schedules }: Services): MethodHandlers<ScheduleMethod> {
  return {
    "schedules.create": ({ schedule }, ctx) => schedules.create(schedule, callerOf(ctx.principal)),
    "schedules.list": (_p, ctx) => schedules.list(callerOf(ctx.principal)),
    "schedules.get": ({ name }, ctx) => schedules.get(name, callerOf(ctx.principal)),
    "schedules.update": ({ name, changes }, ctx) =>
      schedules.update(name, changes, callerOf(ctx.principal)),
    "schedules.pause": ({ name }, ctx) => schedules.setPaused(name, true, callerOf(ctx.principal)),
    "schedules.resume": ({ name }, ctx) =>
      schedules.setPaused(name, false, callerOf(ctx.principal)),
    "schedules.trigger": ({ name }, ctx) => schedules.trigger(name, callerOf(ctx.principal)),
    "schedules.delete": async ({ name }, ctx) => {
      await schedules.delete(name, callerOf(ctx.principal));
      return null;
    },
  };
}
