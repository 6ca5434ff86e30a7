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

Deno.test("scope matrix: register_runner within and beyond [register_policy], as register and admin", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "hero-policy-" });
  await Deno.mkdir(`${dir}/shared`);
  await Deno.symlink("/etc", `${dir}/shared/etc-link`);
  await using s = await startSupervisor({
    register_policy: {
      kinds: ["script"],
      permissions: { read: [`${dir}/shared`], net: ["api.internal"] },
      binaries: [],
      max_instances: 4,
    },
  });
  const register = s.admin.as(SECRETS.register);
  let n = 0;
  const cells: [string, Record<string, unknown>, RegExp | null][] = [
    ["a script runner with no grants", {}, null],
    ["a grant within the policy", { permissions: { read: [`${dir}/shared/x`] } }, null],
    ["a host the policy allows, on any port", { permissions: { net: ["api.internal:443"] } }, null],
    [
      "a process runner",
      { kind: "process", binary_path: "/bin/sh", args: ["-c", "id"] },
      /kind "process" is not allowed/,
    ],
    ["read of everything", { permissions: { read: true } }, /permissions\.read: all of it/],
    ["read of /", { permissions: { read: ["/"] } }, /permissions\.read: "\/" is beyond/],
    [
      "a path that climbs out with ..",
      { permissions: { read: [`${dir}/shared/../..`] } },
      /is beyond/,
    ],
    ["a link inside the allowed dir that leads out", {
      permissions: { read: [`${dir}/shared/etc-link`] },
    }, /is beyond/],
    ["a relative path", { permissions: { read: ["shared"] } }, /is relative/],
    ["write", { permissions: { write: [`${dir}/shared`] } }, /permissions\.write/],
    ["run", { permissions: { run: true } }, /permissions\.run/],
    ["another host", { permissions: { net: ["evil.example"] } }, /permissions\.net/],
    ["env", { env: { LD_PRELOAD: "/tmp/x.so" } }, /may not set a runner's environment/],
    ["too many instances", { instances: 50 }, /max_instances/],
    ["too much memory", { memory_mb: 65536 }, /memory_mb 65536/],
  ];
  for (const [what, fields, refusal] of cells) {
    await t.step(what, async () => {
      const runner = { name: `reg-${++n}`, kind: "script", instances: 1, ...fields };
      if (refusal === null) {
        const status = await register.call<{ name: string }>("register_runner", { runner });
        assertEquals(status.name, runner.name);
        return;
      }
      const error = await register.error("register_runner", { runner });
      assertEquals(error.code, -32002, what);
      assert(refusal.test(error.message), `${what}: ${error.message}`);
      // An admin secret may register it (a process runner starts: the admin owns the host).
      if (fields.kind !== "process") {
        const status = await s.admin.call<{ name: string }>("register_runner", { runner });
        assertEquals(status.name, runner.name);
      }
    });
  }
  await Deno.remove(dir, { recursive: true });
});
