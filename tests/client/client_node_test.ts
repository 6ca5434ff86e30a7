/**
 * The client suite in Node ≥ 20, on the built package: packed with `npm pack`
 * and installed with `npm install`, then imported by its name.
 *
 * @module
 */

import { assert } from "../_helpers/assert.ts";
import { ROOT, runCommand } from "../_helpers/command.ts";
import { type CaseResult, startSuiteSupervisor } from "./_env.ts";
import { cases } from "./client_suite.mjs";

/** Installs `client/dist` into a fresh project the way a consumer would; returns its dir. */
async function installPackage(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "hero-client-node-" });
  const pack = await runCommand("npm", ["pack", `${ROOT}client/dist`, "--pack-destination", dir]);
  assert(pack.ok, pack.output);
  const tarball = pack.stdout.trim().split("\n").at(-1)!;
  await Deno.writeTextFile(`${dir}/package.json`, '{ "private": true, "type": "module" }\n');
  const install = await runCommand(
    "npm",
    ["install", "--offline", "--no-audit", "--no-fund", "--ignore-scripts", `./${tarball}`],
    { cwd: dir },
  );
  assert(install.ok, install.output);
  for (const file of ["client_suite.mjs", "node_runner.mjs"]) {
    await Deno.copyFile(`${ROOT}tests/client/${file}`, `${dir}/${file}`);
  }
  return dir;
}

Deno.test("client suite in Node (built package)", async (t) => {
  const version = await runCommand("node", ["--version"]);
  const major = Number(version.stdout.trim().replace(/^v/, "").split(".")[0]);
  assert(major >= 20, `Node ${version.stdout.trim()} (need >= 20)`);

  const dir = await installPackage();
  const { sup, env } = await startSuiteSupervisor();
  try {
    const run = await runCommand("node", ["node_runner.mjs", JSON.stringify(env)], { cwd: dir });
    const results = new Map<string, CaseResult>(
      run.stdout.trim().split("\n").filter(Boolean).map((line) => {
        const result = JSON.parse(line) as CaseResult;
        return [result.name, result];
      }),
    );
    for (const c of cases) {
      await t.step(c.name, () => {
        const result = results.get(c.name);
        assert(result, `no result from Node; it printed:\n${run.output}`);
        assert(result.ok, result.error);
      });
    }
    assert(run.ok, run.output);
  } finally {
    await sup.close();
    await Deno.remove(dir, { recursive: true });
  }
});
