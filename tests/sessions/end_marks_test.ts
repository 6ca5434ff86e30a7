/**
 * Runner isolation without a `run` grant: a job that wrote nothing goes
 * without end marks (the host process's write count says so); any other is
 * marked, so that all of its output, and only its own, is its log. Checked
 * with jobs that print and jobs that do not, in turn, with and without the
 * OS sandbox.
 */

import { assertEquals } from "../_helpers/assert.ts";
import { startSupervisor, type TestSupervisor } from "../_helpers/supervisor.ts";

/** Runs a job; its result and its log lines as [stream, line]. */
async function run(s: TestSupervisor, payload: string) {
  const id = await s.user.call<string>("jobs.create", { job: { runner: "r", payload } });
  await s.user.call("job.start", { job_id: id });
  const result = await s.user.call("job.result", { job_id: id, wait_ms: 10_000 });
  const page = await s.user.call<{ lines: { line: string; stream: string }[] }>("job.logs", {
    job_id: id,
  });
  return { result, lines: page.lines.map((l) => [l.stream, l.line]) };
}

const SILENT = "export default ({ job }) => job.attempt;";

for (const sandbox of ["off", "auto"] as const) {
  Deno.test(`runner isolation (sandbox ${sandbox}): every job's output is its own, marked or not`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "hero-marks-" });
    await using s = await startSupervisor({
      sandbox,
      runners: [{
        name: "r",
        kind: "script",
        isolation: "runner",
        instances: 1,
        permissions: { write: [dir] },
      }],
    });
    await s.sup.runners.get("r").whenReady();
    try {
      const silent = { result: { success: 1 }, lines: [] };
      for (let i = 0; i < 3; i++) assertEquals(await run(s, SILENT), silent);
      // After silent jobs, one that prints: its lines, all of them, in order.
      const many = Array.from({ length: 300 }, (_, i) => `line ${i}`);
      assertEquals(
        await run(
          s,
          `export default () => { for (let i = 0; i < 300; i++) console.log("line " + i); ` +
            `console.error("to stderr"); return 2; };`,
        ),
        {
          result: { success: 2 },
          lines: [...many.map((l) => ["stdout", l]), ["stderr", "to stderr"]],
        },
      );
      assertEquals(await run(s, SILENT), silent);
      // Its last line unfinished, or empty: still its own.
      assertEquals(
        await run(
          s,
          `export default () => { Deno.stdout.writeSync(new TextEncoder().encode("no newline")); return 3; };`,
        ),
        { result: { success: 3 }, lines: [["stdout", "no newline"]] },
      );
      assertEquals(await run(s, SILENT), silent);
      assertEquals(
        await run(s, `export default () => { console.log("a"); console.log(""); return 4; };`),
        { result: { success: 4 }, lines: [["stdout", "a"], ["stdout", ""]] },
      );
      assertEquals(await run(s, SILENT), silent);
      // A job that writes a file and prints nothing: marked (it wrote), with no lines.
      assertEquals(
        await run(
          s,
          `export default () => { Deno.writeTextFileSync(${
            JSON.stringify(`${dir}/f`)
          }, "x".repeat(100)); return 5; };`,
        ),
        { result: { success: 5 }, lines: [] },
      );
      // A module without a default export: its result is its stdout.
      assertEquals(await run(s, `console.log("printed"); console.log("twice");`), {
        result: { success: "printed\ntwice" },
        lines: [["stdout", "printed"], ["stdout", "twice"]],
      });
      for (let i = 0; i < 2; i++) assertEquals(await run(s, SILENT), silent);
      // Nothing between jobs went to the runner's own log.
      const logs = await s.admin.call<string[]>("get_runner_logs", { name: "r", lines: 1000 });
      assertEquals(logs.filter((l) => / \[(stdout|stderr)\] /.test(l)), []);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}
