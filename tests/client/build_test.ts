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

Deno.test("the package carries its license and where it comes from", async () => {
  const files = await buildPackage();
  const pkg = JSON.parse(files["package.json"]);
  assertEquals(pkg.license, "Apache-2.0");
  assert(pkg.files.includes("LICENSE") && "LICENSE" in files, "LICENSE is in the package");
  assert(files.LICENSE.includes("Apache License") && files.LICENSE.includes("Version 2.0"));
  assertEquals(files.LICENSE, await Deno.readTextFile(new URL("../../LICENSE", import.meta.url)));
  assert(pkg.repository.url.startsWith("git+https://"), pkg.repository.url);
  assert(pkg.homepage && pkg.bugs.url, "homepage and bugs");
});

Deno.test("a Deno user of the bundle gets its types (@ts-self-types): a wrong param fails deno check", async () => {
  const dir = await Deno.makeTempDir({ prefix: "hero-self-types-" });
  try {
    const bundle = new URL(`../../client/dist/${BUNDLE_FILE}`, import.meta.url).href;
    const file = `${dir}/use.ts`;
    const good = `import { SupervisorClient } from "${bundle}";
const client = new SupervisorClient("http://127.0.0.1:3030", { secret: "x" });
export const status = client.job.status({ job_id: "a" });
`;
    await Deno.writeTextFile(file, good);
    const ok = await runDeno(["check", "--no-config", file]);
    assert(ok.ok, ok.output);
    await Deno.writeTextFile(file, good.replace('job_id: "a"', "job_id: 5"));
    const bad = await runDeno(["check", "--no-config", file]);
    assert(!bad.ok, "deno check accepted job_id: 5");
    assert(/TS2322|not assignable to type 'string'/.test(bad.output), bad.output);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
