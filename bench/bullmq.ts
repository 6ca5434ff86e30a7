/**
 * BullMQ for the baselines: installed with npm into `bench/.baseline/` on
 * first use (it does not load under Deno here), run under Node, one JSON
 * line of results per run.
 *
 * @module
 */

const here = new URL(".", import.meta.url).pathname;

/** The files the baselines run, copied next to their node_modules. */
const BASELINE_FILES = [
  "bullmq_baseline.mjs",
  "bullmq_sandboxed.mjs",
  "bullmq_processor.mjs",
  "cpu_parse.js",
];

/** Installs BullMQ when missing; copies the baseline scripts; returns their dir. */
export async function ensureBullmq(): Promise<string> {
  const dir = `${here}.baseline`;
  try {
    await Deno.stat(`${dir}/node_modules/bullmq/package.json`);
  } catch {
    console.error("installing bullmq@5 for the baseline (npm)...");
    await Deno.mkdir(dir, { recursive: true });
    await Deno.writeTextFile(`${dir}/package.json`, '{ "private": true, "type": "module" }\n');
    const npm = await new Deno.Command("npm", {
      args: ["install", "--no-audit", "--no-fund", "--silent", "bullmq@5"],
      cwd: dir,
    }).output();
    if (!npm.success) throw new Error(new TextDecoder().decode(npm.stderr));
  }
  for (const file of BASELINE_FILES) await Deno.copyFile(`${here}${file}`, `${dir}/${file}`);
  return dir;
}

/** Runs one baseline script under Node with `args`; its last line, parsed. */
export async function runBaseline<T>(dir: string, script: string, args: string[]): Promise<T> {
  const node = await new Deno.Command("node", {
    args: [script, ...args],
    cwd: dir,
    stderr: "inherit",
  }).output();
  if (!node.success) throw new Error(`the BullMQ baseline ${script} failed`);
  return JSON.parse(new TextDecoder().decode(node.stdout).trim().split("\n").at(-1)!);
}
