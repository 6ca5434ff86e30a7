/**
 * The repository stays clean: `deno fmt --check`, `deno lint` and
 * `deno check` pass on everything.
 */

import { assert } from "../_helpers/assert.ts";

const root = new URL("../../", import.meta.url).pathname;

async function deno(args: string[]): Promise<{ ok: boolean; output: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const decoder = new TextDecoder();
  return { ok: out.success, output: decoder.decode(out.stdout) + decoder.decode(out.stderr) };
}

Deno.test("deno fmt --check is clean", async () => {
  const { ok, output } = await deno(["fmt", "--check"]);
  assert(ok, output);
});

Deno.test("deno lint is clean", async () => {
  const { ok, output } = await deno(["lint"]);
  assert(ok, output);
});

Deno.test("deno check passes on every module", async () => {
  const { ok, output } = await deno(["check", "."]);
  assert(ok, output);
});
