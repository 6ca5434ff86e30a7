/**
 * The repository stays clean: `deno fmt --check`, `deno lint` and
 * `deno check` pass on everything.
 */

import { assert } from "../_helpers/assert.ts";
import { runDeno } from "../_helpers/command.ts";

Deno.test("deno fmt --check is clean", async () => {
  const { ok, output } = await runDeno(["fmt", "--check"]);
  assert(ok, output);
});

Deno.test("deno lint is clean", async () => {
  const { ok, output } = await runDeno(["lint"]);
  assert(ok, output);
});

Deno.test("deno check passes on every module", async () => {
  const { ok, output } = await runDeno(["check", "."]);
  assert(ok, output);
});
