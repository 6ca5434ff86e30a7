/**
 * The Hero Supervisor client: one module for browsers, Node ≥ 20 and Deno.
 *
 * @example
 * ```ts
 * import { SupervisorClient } from "./mod.ts";
 *
 * const client = new SupervisorClient("http://127.0.0.1:3030", { secret: "user-secret-456" });
 * const { success } = await client.job.run({
 *   job: { runner: "default", payload: "export default () => 6 * 7;" },
 * }) as { success: number };
 * ```
 *
 * @module
 */

export {
  type ClientOptions,
  type EventMethods,
  type JobMethods,
  type StreamOptions,
  SupervisorClient,
} from "./client.ts";
export {
  ConflictError,
  ErrorCode,
  errorFromWire,
  ForbiddenError,
  InvalidParamsError,
  NotFoundError,
  SupervisorError,
  TimeoutError,
  TooManyRequestsError,
  TransportError,
  UnauthenticatedError,
  UnavailableError,
} from "./errors.ts";
export { JobBuilder } from "./job_builder.ts";
export type { BoundMethods, CallOptions } from "./methods.generated.ts";
export type * from "../shared/types.generated.ts";
