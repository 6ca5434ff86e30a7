/**
 * The OpenRPC document: valid for the OpenRPC tools, complete for every
 * method, served identically by `rpc.discover` and `GET /openrpc.json`, and
 * true to the live server (`@open-rpc/test-coverage` replays its examples).
 */

import { Ajv } from "ajv";
import metaSchema from "@open-rpc/meta-schema";
import jsonSchemaMetaSchema from "@json-schema-tools/meta-schema";
import { parseOpenRPCDocument, validateOpenRPCDocument } from "@open-rpc/schema-utils-js";
import { methods } from "../../shared/methods.ts";
import { paramsSchema } from "../../shared/method_spec.ts";
import { compileValidator } from "../../server/validation/validator.ts";
import { assert, assertEquals } from "../_helpers/assert.ts";
import { SECRETS, startSupervisor } from "../_helpers/supervisor.ts";
import { DEFAULT_RUNNER } from "../../server/config/config_schema.ts";

Deno.test("the served OpenRPC document is valid and complete", async (t) => {
  await using s = await startSupervisor();
  const served = await (await fetch(`${s.url}/openrpc.json`)).json();
  const discovered = await s.admin.as().call<Record<string, unknown>>("rpc.discover");

  await t.step("rpc.discover (no secret) and GET /openrpc.json serve the same document", () => {
    assertEquals(discovered, served);
  });

  await t.step("@open-rpc/schema-utils-js validateOpenRPCDocument accepts it", async () => {
    // deno-lint-ignore no-explicit-any
    assertEquals(validateOpenRPCDocument(served as any), true);
    // Dereferencing resolves every $ref to components.
    // deno-lint-ignore no-explicit-any
    const parsed = await parseOpenRPCDocument(served as any);
    assertEquals(parsed.methods.length, methods.length);
  });

  await t.step("it validates against @open-rpc/meta-schema", () => {
    const ajv = new Ajv({ strict: false, allErrors: true });
    // The OpenRPC meta-schema refers to the json-schema-tools meta-schema for every schema.
    // deno-lint-ignore no-explicit-any
    const { $schema: _a, $id: _i, ...schemas } = (jsonSchemaMetaSchema as any).default ??
      jsonSchemaMetaSchema;
    for (const id of ["https://meta.json-schema.tools", "https://meta.json-schema.tools/"]) {
      ajv.addSchema(schemas, id);
    }
    // deno-lint-ignore no-explicit-any
    const { $schema: _b, ...schema } = (metaSchema as any).default ?? metaSchema;
    const ok = ajv.validate(schema, served);
    assert(ok, JSON.stringify(ajv.errors?.slice(0, 3)));
  });

  await t.step("every method has a summary, params, a result, errors and an example", () => {
    for (const m of served.methods as Record<string, unknown>[]) {
      assert(typeof m.summary === "string" && m.summary.length > 0, `${m.name}: summary`);
      assert(Array.isArray(m.params), `${m.name}: params`);
      assert(m.result, `${m.name}: result`);
      assert((m.examples as unknown[]).length > 0, `${m.name}: examples`);
      assert((m.errors as unknown[]).length > 0, `${m.name}: errors`);
    }
  });

  await t.step("the servers entry points at this server", () => {
    assertEquals(served.servers[0].url, `${s.url}/rpc`);
  });
});

Deno.test("every example of the method table is valid for its method", () => {
  for (const m of methods) {
    const names = m.params.map((p) => p.name);
    const checkParams = compileValidator(paramsSchema(m), "params");
    const checkResult = compileValidator(m.result.schema, "result");
    for (const ex of m.examples) {
      const given = Object.keys(ex.params);
      // By position, tools replay an example's params in order: they must be a leading run.
      assertEquals(given, names.slice(0, given.length), `${m.name} / ${ex.name}: params order`);
      assertEquals(checkParams.check(ex.params), null, `${m.name} / ${ex.name}: params`);
      assertEquals(checkResult.check(ex.result), null, `${m.name} / ${ex.name}: result`);
    }
  }
});

Deno.test("@open-rpc/test-coverage replays every example against a live server: 0 failures", async () => {
  // The contract's default runner (a script runner): the examples run real jobs on it.
  await using s = await startSupervisor({ runners: [DEFAULT_RUNNER] });
  const run = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--unsafe-proto",
      new URL("./run_test_coverage.ts", import.meta.url).pathname,
      s.url,
      SECRETS.admin,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const out = new TextDecoder().decode(run.stdout) + new TextDecoder().decode(run.stderr);
  // deno-lint-ignore no-control-regex
  const plain = out.replace(/\x1b\[[0-9;]*m/g, "");
  assert(run.success, `test-coverage reported failures:\n${plain}`);
  assert(/[1-9]\d* passed/.test(plain) || /Success/i.test(plain), `no calls reported:\n${plain}`);
  assert(!/[1-9]\d* failed/.test(plain), plain);
});
