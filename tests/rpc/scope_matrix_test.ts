/**
 * The scope matrix: every method of the method table, called with its first
 * example by no secret, an unknown secret, and a register, user and admin
 * secret. Each gets exactly what its scope allows: a result that matches the
 * method's result schema (or one of the errors the method declares), or
 * -32001 / -32002. Generated from the table, so a new method cannot skip it.
 */

import { scopeAllows } from "../../shared/method_spec.ts";
import { methods } from "../../shared/methods.ts";
import { compileValidator } from "../../server/validation/validator.ts";
import { assert, assertEquals } from "../_helpers/assert.ts";
import { WireRpcError } from "../_helpers/rpc.ts";
import { SECRETS, startSupervisor } from "../_helpers/supervisor.ts";

const callers = [
  { name: "no secret", secret: undefined, kind: null },
  { name: "unknown secret", secret: "not-a-secret-at-all", kind: null },
  { name: "register", secret: SECRETS.register, kind: "register" },
  { name: "user", secret: SECRETS.user, kind: "user" },
  { name: "admin", secret: SECRETS.admin, kind: "admin" },
] as const;

Deno.test("scope matrix: every method × every kind of caller", async (t) => {
  await using s = await startSupervisor({ auth_max_failures: 100_000 });
  for (const method of methods) {
    const params = method.examples[0].params;
    const validResult = compileValidator(method.result.schema);
    await t.step(method.name, async () => {
      for (const caller of callers) {
        const rpc = s.admin.as(caller.secret);
        const allowed = method.scope === "public" ||
          (caller.kind !== null && scopeAllows[method.scope].includes(caller.kind));
        let result: unknown;
        let code: number | null = null;
        try {
          result = await rpc.call(method.name, params);
        } catch (error) {
          if (!(error instanceof WireRpcError)) throw error;
          code = error.code;
        }
        const who = `${method.name} as ${caller.name}`;
        if (!allowed) {
          assertEquals(code, caller.kind === null ? -32001 : -32002, who);
        } else if (code === null) {
          assertEquals(validResult.check(result), null, `${who}: result matches its schema`);
        } else {
          assert(
            (method.errors as number[]).includes(code),
            `${who}: answered ${code}, which ${method.name} does not declare`,
          );
        }
      }
    });
  }
});
