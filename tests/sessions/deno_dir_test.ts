/**
 * Sessions leave nothing behind in the user's DENO_DIR: every payload is a
 * new module, and with Deno's caches on, each TypeScript payload would leave
 * its emitted JavaScript under `gen/`, every payload its compiled code in the
 * V8 code cache and its source (its URL) in the module analysis cache, for
 * good. Sessions keep that analysis in a DENO_DIR of their own, replaced
 * when it outgrows its bound, and share the user's caches of remote modules
 * and npm packages. Real session processes, with a test DENO_DIR standing for
 * the user's.
 */

import { assert, assertEquals } from "../_helpers/assert.ts";
import { pathExists } from "../_helpers/files.ts";
import { ProcessRuntime } from "../../server/runners/process_runtime.ts";
import { SHARED_CACHES } from "../../server/sessions/session_deno_dir.ts";
import { runInSession } from "../_helpers/session.ts";

/** Every file under `dir`, relative to it (not following links). */
async function filesUnder(dir: string, prefix = ""): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(`${dir}/${prefix}`)) {
    const path = `${prefix}${entry.name}`;
    if (entry.isDirectory) found.push(...await filesUnder(dir, `${path}/`));
    else found.push(path);
  }
  return found;
}

/** The files under `dir` whose bytes hold `text`. */
async function filesHolding(dir: string, text: string): Promise<string[]> {
  const holding: string[] = [];
  for (const file of await filesUnder(dir)) {
    if (!(await Deno.lstat(`${dir}/${file}`)).isFile) continue;
    const bytes = await Deno.readFile(`${dir}/${file}`);
    if (new TextDecoder("latin1").decode(bytes).includes(text)) holding.push(file);
  }
  return holding;
}

/** Runs `payload` in a fresh session, which must succeed: its value and DENO_DIR. */
async function runSession(runtime: ProcessRuntime, payload: string) {
  const { outcome, denoDir } = await runInSession(runtime, payload);
  assert(outcome.kind === "success", JSON.stringify(outcome));
  return { value: outcome.value, denoDir };
}

Deno.test("sessions leave no payload in the user's DENO_DIR, and share its module caches", async () => {
  const userDenoDir = await Deno.makeTempDir({ prefix: "hero-deno-dir-user-" });
  const runtime = await ProcessRuntime.open("hero-deno-dir-", { denoDir: userDenoDir });
  // A mark in every payload, as a name that percent-encoding leaves as it is.
  const mark = `heromark${crypto.randomUUID().replaceAll("-", "")}`;
  let sessionDenoDir = "";
  try {
    const payloads = [
      `export default (): number => 41 + 1; // ${mark}`,
      `export default (): string => 'typed ' + (2 as number); // ${mark}`,
      `export default () => 'plain javascript'; // ${mark}`,
      `enum Kind { A = 7 } export default () => Kind.A; // ${mark}`,
    ];
    const values: unknown[] = [];
    for (const payload of payloads) {
      const { value, denoDir } = await runSession(runtime, payload);
      values.push(value);
      sessionDenoDir = denoDir;
    }
    assertEquals(values, [42, "typed 2", "plain javascript", 7]);
    const files = await filesUnder(userDenoDir);
    assertEquals(files.filter((f) => f.startsWith("gen/")), [], "emitted JavaScript");
    assertEquals(files.filter((f) => f.startsWith("v8_code_cache")), [], "V8 code cache");
    assertEquals(await filesHolding(userDenoDir, mark), [], "a payload kept");
    // The sessions' own DENO_DIR holds their analyses, and nothing compiled either.
    assert((await filesHolding(sessionDenoDir, mark)).length > 0);
    const own = await filesUnder(sessionDenoDir);
    assertEquals(own.filter((f) => /^(gen\/|v8_code_cache)/.test(f)), []);
    for (const name of SHARED_CACHES) {
      assertEquals(await Deno.readLink(`${sessionDenoDir}/${name}`), `${userDenoDir}/${name}`);
    }
  } finally {
    await runtime.close();
  }
  // Closing removes the sessions' DENO_DIR, not what it shared.
  assertEquals(await pathExists(sessionDenoDir), false);
  for (const name of SHARED_CACHES) assert((await Deno.stat(`${userDenoDir}/${name}`)).isDirectory);
  await Deno.remove(userDenoDir, { recursive: true });
});

Deno.test("a session DENO_DIR whose analysis cache outgrew its bound is replaced", async () => {
  const userDenoDir = await Deno.makeTempDir({ prefix: "hero-deno-dir-user-" });
  const runtime = await ProcessRuntime.open("hero-deno-dir-", {
    denoDir: userDenoDir,
    maxCacheBytes: 160 * 1024,
    checkEvery: 1,
    keepReplacedMs: 0,
  });
  let distinct: string[] = [];
  try {
    // Payloads of 16 KiB each: two of them take more than 160 KiB of analysis cache.
    const filler = "x".repeat(16 * 1024);
    const dirs: string[] = [];
    for (let i = 0; i < 8; i++) {
      dirs.push((await runSession(runtime, `export default ${i}; // ${filler}`)).denoDir);
    }
    distinct = [...new Set(dirs)];
    // Each DENO_DIR served sessions until its cache outgrew the bound, then the next one did.
    assert(distinct.length >= 3 && distinct.length < dirs.length, dirs.join(" "));
    assertEquals(dirs, [...dirs].sort((a, b) => distinct.indexOf(a) - distinct.indexOf(b)));
    // A replaced one is removed by the next replacement; the newest stays.
    assertEquals(await pathExists(distinct[0]), false);
    assert(await pathExists(distinct.at(-1)!));
  } finally {
    await runtime.close();
  }
  for (const dir of distinct) assertEquals(await pathExists(dir), false, `${dir} left behind`);
  await Deno.remove(userDenoDir, { recursive: true });
});
