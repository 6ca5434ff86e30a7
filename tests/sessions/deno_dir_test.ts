/**
 * Sessions leave nothing behind in DENO_DIR: every payload is a new module,
 * and with Deno's caches on, each TypeScript payload would leave its emitted
 * JavaScript under `gen/` and every payload its compiled code in the V8 code
 * cache, for good. Real session processes, with a DENO_DIR of their own.
 */

import { assert, assertEquals } from "../_helpers/assert.ts";
import { ProcessRuntime } from "../../server/runners/process_runtime.ts";
import { SESSION_HOST } from "../../server/runners/script_executor.ts";
import { permissionFlags } from "../../server/sessions/deno_flags.ts";
import { SessionProcess } from "../../server/sessions/session_process.ts";

/** Every file under `dir`, relative to it. */
async function filesUnder(dir: string, prefix = ""): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(`${dir}/${prefix}`)) {
    const path = `${prefix}${entry.name}`;
    if (entry.isDirectory) found.push(...await filesUnder(dir, `${path}/`));
    else found.push(path);
  }
  return found;
}

Deno.test("sessions write no emitted code and no code cache to DENO_DIR", async () => {
  const runtime = await ProcessRuntime.open("hero-deno-dir-");
  const denoDir = await Deno.makeTempDir({ prefix: "hero-deno-dir-cache-" });
  const { script } = runtime;
  const { flags, revoke, startsProcesses } = permissionFlags(
    {},
    script.channel.path,
    script.workDir,
  );
  try {
    const payloads = [
      "export default (): number => 41 + 1;",
      "export default (): string => 'typed ' + (2 as number);",
      "export default () => 'plain javascript';",
    ];
    const values: unknown[] = [];
    for (const payload of payloads) {
      const session = new SessionProcess({
        deno: script.deno,
        hostPath: SESSION_HOST,
        permissionFlags: flags,
        revoke,
        ownGroup: startsProcesses,
        memoryMb: 128,
        env: { ...script.baseEnv, DENO_DIR: denoDir },
        cwd: script.workDir,
        channel: script.channel,
      }, () => {});
      await session.ready;
      const outcome = await session.run({ id: "job", env_vars: {}, attempt: 1 }, payload, () => {});
      await session.exited;
      assert(outcome.kind === "success", JSON.stringify(outcome));
      values.push(outcome.value);
    }
    assertEquals(values, [42, "typed 2", "plain javascript"]);
    const files = await filesUnder(denoDir);
    assertEquals(files.filter((f) => f.startsWith("gen/")), [], "emitted JavaScript");
    assertEquals(files.filter((f) => f.startsWith("v8_code_cache")), [], "V8 code cache");
  } finally {
    await runtime.close();
    await Deno.remove(denoDir, { recursive: true });
  }
});
