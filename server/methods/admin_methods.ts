/**
 * Handlers of the administration and discovery methods.
 *
 * @module
 */

import { scopeAllows } from "../../shared/method_spec.ts";
import { methods } from "../../shared/methods.ts";
import { invalidParams } from "../rpc/rpc_error.ts";
import { auditOf, type MethodHandlers, type Services } from "./services.ts";

type AdminMethod =
  | "rpc.discover"
  | "whoami"
  | "add_secret"
  | "remove_secret"
  | "list_secrets"
  | "get_supervisor_info";

/** Secrets, supervisor facts and the OpenRPC document. */
export function adminMethods(s: Services): MethodHandlers<AdminMethod> {
  return {
    "rpc.discover": (_, ctx) => s.openrpc(`${ctx.origin}/rpc`),
    "whoami": (_, ctx) => {
      // The scope `any` guarantees a principal.
      const { kind, fingerprint } = ctx.principal!;
      return {
        kind,
        fingerprint,
        methods: methods.filter((m) => scopeAllows[m.scope].includes(kind)).map(
          (m) => m.name,
        ),
      };
    },
    "add_secret": async ({ kind, value }, ctx) => {
      await s.secrets.add(kind, value, auditOf({}, ctx).requested_by);
      return null;
    },
    "remove_secret": async ({ kind, value, fingerprint }, ctx) => {
      if ((value === undefined) === (fingerprint === undefined)) {
        throw invalidParams("remove_secret: give either value or fingerprint");
      }
      const which = value !== undefined ? { value } : { fingerprint: fingerprint! };
      await s.secrets.remove(kind, which, auditOf({}, ctx).requested_by);
      return null;
    },
    "list_secrets": () => s.secrets.list(),
    "get_supervisor_info": () => s.info(),
  };
}
