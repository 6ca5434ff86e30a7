/**
 * The client package in `client/dist` is what `deno task build` makes from
 * the current source, is small, and uses no runtime-specific API.
 *
 * @module
 */

import { assert, assertEquals } from "../_helpers/assert.ts";
import { runDeno } from "../_helpers/command.ts";
import { buildPackage, BUNDLE_FILE, gzipSize, PACKAGE_NAME } from "../../client/build.ts";

Deno.test("client/dist is up to date with the source (deno task build)", async () => {
  const { ok, output } = await runDeno(["run", "-A", "client/build.ts", "--check"]);
  assert(ok, output);
});

Deno.test("the bundle is one small ES module with no Deno or Node API", async () => {
  const files = await buildPackage();
  const bundle = files[BUNDLE_FILE];
  const gz = await gzipSize(bundle);
  assert(gz <= 10 * 1024, `bundle is ${gz} bytes gzipped (budget 10 KiB)`);
  for (const forbidden of ["Deno.", "require(", 'from"node:', "process.", "Buffer"]) {
    assert(!bundle.includes(forbidden), `the bundle mentions ${forbidden}`);
  }
  assert(!/\bimport\s*[\w{*]/.test(bundle.replace(/^\/\*.*?\*\//, "")), "no imports left");
  assert(/export\s*\{/.test(bundle), "an ES module");

  const pkg = JSON.parse(files["package.json"]);
  assertEquals(pkg.name, PACKAGE_NAME);
  assertEquals(pkg.type, "module");
  const entry = pkg.exports["."];
  for (const path of [entry.import, entry.types, pkg.main]) {
    assert(path.slice(2) in files, `package.json points at ${path}, which is not built`);
  }
  const dts = files[entry.types.slice(2)];
  for (const name of ["SupervisorClient", "JobBuilder", "SupervisorError", "NotFoundError"]) {
    assert(new RegExp(`export declare class ${name}\\b`).test(dts), `.d.ts declares ${name}`);
  }
});
