/**
 * `memory_mb` and `pids_max`, enforced by the kernel: with the OS layer, a
 * job that fills ArrayBuffers, Wasm memory or a child process's memory past
 * its limit is killed and fails saying so, and a job cannot start more
 * processes than `pids_max`. Without it, `memory_mb` bounds only the V8
 * heap: the same jobs (with smaller amounts, to spare the test machine)
 * complete, which is what the OS layer is for.
 */

import { assert, assertEquals } from "../_helpers/assert.ts";
import { type Layer, run, startSandboxed, statusOf, VARIANTS } from "../_helpers/sandbox.ts";

const LIMIT_MB = 128;
const KILLED = `killed: the job exceeded its memory limit of ${LIMIT_MB} MB (memory_mb)`;

/** MiB a job tries to fill: far past the limit with the OS layer; past it, but modest, without. */
const amount = (layer: Layer, os: number) => (layer === "os" ? os : 384);

// The limits are the control groups' work: the variant without them has nothing to show here.
for (
  const { layer, isolation, name, ignore } of VARIANTS.filter((v) => v.layer === "off" || v.cgroups)
) {
  Deno.test({
    name: `${name}: memory_mb bounds all of a job's memory; pids_max its processes`,
    ignore,
  }, async (t) => {
    const deno = Deno.execPath();
    await using s = await startSandboxed(layer, [
      { name: "small", kind: "script", instances: 1, memory_mb: LIMIT_MB },
      {
        name: "small-runs",
        kind: "script",
        instances: 1,
        memory_mb: LIMIT_MB,
        pids_max: 48,
        permissions: { run: [deno, "sleep"] },
      },
    ], isolation);

    await t.step("the status shows the limits the control group enforces", async () => {
      const { sandbox } = await statusOf(s, "small-runs");
      assertEquals(
        sandbox?.limits,
        layer === "os" ? { memory_mb: LIMIT_MB, pids_max: 48 } : undefined,
      );
    });

    const outcome = (layer: Layer, done: unknown) =>
      layer === "os" ? { error: KILLED } : { success: done };

    await t.step("ArrayBuffers", async () => {
      const mb = amount(layer, 1536);
      const result = await run(
        s,
        "small",
        `const kept = [];
         for (let i = 0; i < ${
          mb / 64
        }; i++) { const b = new Uint8Array(64 << 20); b.fill(1); kept.push(b); }
         export default kept.length * 64;`,
      );
      assertEquals(result, outcome(layer, mb));
    });

    await t.step("Wasm memory", async () => {
      const mb = amount(layer, 1024);
      const result = await run(
        s,
        "small",
        `const memory = new WebAssembly.Memory({ initial: 0, maximum: 65536 });
         for (let i = 0; i < ${mb / 64}; i++) {
           const at = memory.grow(1024) * 65536;
           new Uint8Array(memory.buffer, at, 64 << 20).fill(1);
         }
         export default memory.buffer.byteLength / (1 << 20);`,
      );
      assertEquals(result, outcome(layer, mb));
    });

    await t.step("a child process", async () => {
      const mb = amount(layer, 1024);
      const result = await run(
        s,
        "small-runs",
        `const child = new Deno.Command(${JSON.stringify(deno)}, {
           args: ["eval", "const b = new Uint8Array(${mb} << 20); b.fill(1); console.log(b.length >> 20);"],
           stdout: "piped", stderr: "null",
         }).outputSync();
         export default child.success ? Number(new TextDecoder().decode(child.stdout)) : "child died";`,
      );
      assertEquals(result, outcome(layer, mb));
    });

    await t.step("more processes than pids_max", async () => {
      const result = await run(
        s,
        "small-runs",
        `const children = [];
         let refused = null;
         for (let i = 0; i < 100; i++) {
           try {
             children.push(new Deno.Command("sleep", { args: ["60"], stdout: "null", stderr: "null" }).spawn());
           } catch (error) { refused = error.message; break; }
         }
         for (const c of children) c.kill("SIGKILL");
         export default { started: children.length, refused };`,
      );
      const { started, refused } = result.success as { started: number; refused: string | null };
      if (layer === "os") {
        assert(started < 48, `at most pids_max processes, got ${started}`);
        assert(refused !== null, "the next one is refused");
      } else {
        assertEquals({ started, refused }, { started: 100, refused: null });
      }
    });
  });
}
