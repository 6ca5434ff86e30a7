/**
 * What a job cannot do to the supervisor through its outcome: output
 * without newlines is stored in bounded pieces, none lost; a result too deep
 * or too large fails the job at once, saying which limit; a busy loop that
 * ignores SIGTERM is ended without waiting out the stop grace. And a host
 * without a layer: `sandbox = "require"` refuses to start, `auto` starts
 * and says what is missing.
 */

import { MAX_RESULT_BYTES, MAX_RESULT_DEPTH } from "../../server/jobs/result_limits.ts";
import { MAX_LINE_CHARS } from "../../server/util/lines.ts";
import type { LogLine, RunnerStatus } from "../../shared/types.generated.ts";
import { assert, assertEquals, assertMatch } from "../_helpers/assert.ts";
import { run, startSandboxed } from "../_helpers/sandbox.ts";
import { SupervisorProcess } from "../_helpers/supervisor.ts";

Deno.test("os: output, results and timeouts a job cannot turn against the supervisor", async (t) => {
  await using s = await startSandboxed("os", [
    // A grace long enough that a test waiting it out would fail on its own wait.
    { name: "plain", kind: "script", instances: 2, stop_grace: 600 },
  ]);

  await t.step("4 MiB without a newline: stored in pieces, none lost", async () => {
    const size = 4 << 20;
    const id = await s.user.call<string>("jobs.create", {
      job: {
        runner: "plain",
        payload: `Deno.stdout.writeSync(new TextEncoder().encode("x".repeat(${size - 1}) + "y"));
          export default "printed";`,
      },
    });
    await s.user.call("job.start", { job_id: id });
    assertEquals(await s.user.call("job.result", { job_id: id, wait_ms: 60_000 }), {
      success: "printed",
    });
    const lines: LogLine[] = [];
    for (let after = 0;;) {
      const page = await s.user.call<{ lines: LogLine[]; next: number; done: boolean }>(
        "job.logs",
        { job_id: id, after, limit: 1000 },
      );
      lines.push(...page.lines);
      after = page.next;
      if (page.done) break;
    }
    assertEquals(lines.length, Math.ceil(size / MAX_LINE_CHARS));
    assert(lines.every((l) => l.line.length <= MAX_LINE_CHARS));
    assert(lines.slice(0, -1).every((l) => l.partial === true), "every piece but the last");
    assertEquals(lines.at(-1)!.partial, undefined);
    const text = lines.map((l) => l.line).join("");
    assertEquals(text.length, size);
    assert(text.endsWith("xy"));
  });

  await t.step("a result nested too deep fails the job at once", async () => {
    const result = await run(
      s,
      "plain",
      `let o = {}; const root = o; for (let i = 0; i < 100000; i++) { o.a = {}; o = o.a; }
       export default root;`,
    );
    assert(result.error);
    assertMatch(result.error, new RegExp(`^result too deep: .*${MAX_RESULT_DEPTH}`));
  });

  await t.step("a result just past the depth limit, too", async () => {
    const result = await run(
      s,
      "plain",
      `let o = 1; for (let i = 0; i < ${MAX_RESULT_DEPTH + 1}; i++) o = [o];
       export default o;`,
    );
    assertMatch(result.error!, /^result too deep/);
    const within = await run(
      s,
      "plain",
      `let o = 1; for (let i = 0; i < ${MAX_RESULT_DEPTH}; i++) o = [o];
       export default o;`,
    );
    assert("success" in within, JSON.stringify(within).slice(0, 200));
  });

  await t.step("a result too large fails the job at once", async () => {
    const result = await run(s, "plain", `export default "x".repeat(${MAX_RESULT_BYTES + 1});`);
    assertMatch(result.error!, new RegExp(`^result too large: .*${MAX_RESULT_BYTES}`));
  });

  await t.step("a busy loop's timeout does not wait out the stop grace", async () => {
    // With the 600 s grace waited out, this wait (and the test) would fail.
    const id = await s.user.call<string>("jobs.create", {
      job: { runner: "plain", payload: "while (true) {}", timeout: 1 },
    });
    await s.user.call("job.start", { job_id: id });
    assertEquals(await s.user.call("job.result", { job_id: id, wait_ms: 60_000 }), {
      error: "timed out after 1 s",
    });
  });
});

Deno.test("a host without bubblewrap: require refuses to start; auto says what is missing", async () => {
  const env = { HERO_BWRAP: "/nonexistent/bwrap" };
  const runner = `[[runners]]\nname = "default"\nkind = "script"\ninstances = 1\n`;
  const refused = await SupervisorProcess.start(`sandbox = "require"\n${runner}`, undefined, env)
    .then(async (p) => {
      await p.kill();
      return null;
    }, (error: Error) => error.message);
  assert(refused !== null, "it must not start");
  assertMatch(refused, /sandbox = "require", but the OS sandbox is missing: bubblewrap/);

  const proc = await SupervisorProcess.start(runner, undefined, env);
  try {
    const status = await proc.admin.call<RunnerStatus>("get_runner_status", { name: "default" });
    assertEquals([status.sandbox?.fs, status.sandbox?.net], ["deno-only", "deno-only"]);
    const result = await proc.admin.call("job.run", {
      job: { runner: "default", payload: "export default 6 * 7" },
    });
    assertEquals(result, { success: 42 });
    proc.signal("SIGTERM");
    const { output } = await proc.exited();
    const warnings = output.split("\n").filter((l) => l.includes("OS sandbox incomplete"));
    assertEquals(warnings.length, 1, "one warning");
    assertMatch(warnings[0], /bubblewrap \(bwrap\) is not installed at \/nonexistent\/bwrap/);
    assertMatch(warnings[0], /a symlink inside a granted path leads out of it/);
  } finally {
    await proc.kill();
    await Deno.remove(proc.dataDir, { recursive: true }).catch(() => {});
  }
});
