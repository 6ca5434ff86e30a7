/**
 * Every method handler, checked complete against the method table at
 * compile time.
 *
 * @module
 */

import type { MethodName } from "../../shared/types.generated.ts";
import type { Handler } from "../rpc/dispatch.ts";
import { scheduleMethods } from "./schedule_methods.ts";
import { adminMethods } from "./admin_methods.ts";
import { jobMethods } from "./job_methods.ts";
import { runnerMethods } from "./runner_methods.ts";
import type { MethodHandlers, Services } from "./services.ts";

export type { Services } from "./services.ts";

/** The handler of every method of the table. */
export function createHandlers(services: Services): Record<string, Handler> {
  const handlers: MethodHandlers<MethodName> = {
    ...jobMethods(services),
    ...runnerMethods(services),
    ...adminMethods(services),
    ...scheduleMethods(services),
  };
  return handlers as unknown as Record<string, Handler>;
}
