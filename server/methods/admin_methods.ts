/**
 * Handlers of the administration and discovery methods.
 *
 * @module
 */

import { auditOf, type MethodHandlers, type Services } from "./services.ts";

type AdminMethod =
  | "rpc.discover"
  | "add_secret"
  | "remove_secret"
  | "list_secrets"
  | "get_supervisor_info";

/** Secrets, supervisor facts and the OpenRPC document. */
export function adminMethods(s: Services): MethodHandlers<AdminMethod> {
  return {
    "rpc.discover": (_, ctx) => s.openrpc(`${ctx.origin}/rpc`),
    "add_secret": async ({ kind, value }, ctx) => {
      await s.secrets.add(kind, value, auditOf({}, ctx).requested_by);
      return null;
    },
    "remove_secret": async ({ kind, value }, ctx) => {
      await s.secrets.remove(kind, value, auditOf({}, ctx).requested_by);
      return null;
    },
    "list_secrets": () => s.secrets.list(),
    "get_supervisor_info": () => s.info(),
  };
}
