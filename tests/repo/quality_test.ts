/**
 * The repository stays clean: `deno fmt --check`, `deno lint` and
 * `deno check` pass on everything.
 */

import { assert, assertEquals } from "../_helpers/assert.ts";
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

Deno.test("the server's own config imports only what it runs, at the versions the repo's lock pins", async () => {
  const root = JSON.parse(await Deno.readTextFile(new URL("../../deno.json", import.meta.url)));
  const server = JSON.parse(
    await Deno.readTextFile(new URL("../../server/deno.json", import.meta.url)),
  );
  const lock = JSON.parse(await Deno.readTextFile(new URL("../../deno.lock", import.meta.url)));
  for (const [name, specifier] of Object.entries(server.imports as Record<string, string>)) {
    // `npm:redis@5.12.1` in the server's config; what the root's range resolved to in its lock.
    const version = specifier.slice(specifier.lastIndexOf("@") + 1);
    const rootSpecifier = root.imports[name];
    assert(rootSpecifier, `${name}: imported by the server, missing from deno.json`);
    assertEquals(lock.specifiers[rootSpecifier], version, `${name}: the two configs agree`);
  }
  // Every bare import of server/ and shared/ is in the server's config, and nothing else is.
  const used = new Set<string>();
  for (const dir of ["server", "shared"]) {
    for await (const file of walk(new URL(`../../${dir}/`, import.meta.url).pathname)) {
      for (const m of (await Deno.readTextFile(file)).matchAll(/from "([a-z@][^":]*)"/g)) {
        used.add(m[1]);
      }
    }
  }
  assertEquals([...used].sort(), Object.keys(server.imports).sort());
});

async function* walk(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory && entry.name !== "static") yield* walk(path);
    else if (/\.(ts|js)$/.test(entry.name)) yield path;
  }
}
