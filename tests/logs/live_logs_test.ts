/**
 * Live logs: lines reach an SSE reader while the job runs, pages of
 * `job.logs` hold every line once and in order, a slow reader holds up no
 * one, and a job printing a million lines completes with the last 10 000 kept
 * and the drop stated, in bounded memory.
 */

import type { Job, LogLine, LogPage } from "../../shared/types.generated.ts";
import { assert, assertEquals, assertMatch, eventually } from "../_helpers/assert.ts";
import { openSse } from "../_helpers/sse.ts";
import { SECRETS, startSupervisor } from "../_helpers/supervisor.ts";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

/** This isolate's live memory, bytes: its heap and buffers after a full collection. */
function liveBytes(): number {
  gc();
  const { heapUsed, external } = Deno.memoryUsage();
  return heapUsed + external;
}

Deno.test("live logs over SSE, paging, a slow reader, a million lines", async (t) => {
  await using s = await startSupervisor({
    runners: [{ name: "scripts", kind: "script", instances: 3 }],
  });
  await s.sup.runners.get("scripts").whenReady();
  const start = async (payload: string) => {
    const id = await s.user.call<string>("jobs.create", { job: { runner: "scripts", payload } });
    await s.user.call("job.start", { job_id: id });
    return id;
  };

  await t.step(
    "10 lines one per 100 ms: each arrives before the job ends, then `end`",
    async () => {
      const id = await s.user.call<string>("jobs.create", {
        job: {
          runner: "scripts",
          // Each line says when the job printed it.
          payload:
            "for (let i = 1; i <= 10; i++) { console.log('tick ' + i + ' ' + Date.now()); await new Promise((r) => setTimeout(r, 100)); }",
        },
      });
      // Subscribe before it runs: the stream shows lines as they come.
      const sse = await openSse(`${s.url}/jobs/${id}/logs`, SECRETS.user);
      assertEquals(sse.status, 200);
      await s.user.call("job.start", { job_id: id });
      await sse.done;
      const job = await s.user.call<Job>("job.get", { job_id: id });
      const lines = sse.events.filter((e) => e.event === "message");
      const texts = lines.map((e) => (JSON.parse(e.data) as LogLine).line);
      assertEquals(
        texts.map((t) => t.split(" ").slice(0, 2).join(" ")),
        Array.from({ length: 10 }, (_, i) => `tick ${i + 1}`),
      );
      assertEquals(lines.map((e) => e.id), Array.from({ length: 10 }, (_, i) => String(i + 1)));
      for (const line of lines) {
        assert(
          line.at < job.finished_at!,
          "each line arrived before the job ended",
        );
      }
      // They came one by one, not in one burst at the end: the first arrived before the last
      // was even printed (an order of two stamps of one clock).
      const lastPrinted = Number(texts[9].split(" ")[2]);
      assert(lines[0].at < lastPrinted, "the first line arrived before the last was printed");
      const end = sse.events.at(-1)!;
      assertEquals([end.event, JSON.parse(end.data).status], ["end", "completed"]);
    },
  );

  await t.step(
    "a late reader gets the lines so far, then the live ones; resumes with Last-Event-ID",
    async () => {
      const id = await start(
        "for (let i = 1; i <= 6; i++) { console.log('n' + i); await new Promise((r) => setTimeout(r, 80)); }",
      );
      await eventually(async () =>
        (await s.user.call<LogPage>("job.logs", { job_id: id })).lines.length >= 2
      );
      const late = await openSse(`${s.url}/jobs/${id}/logs`, SECRETS.user);
      await late.done;
      assertEquals(
        late.events.filter((e) => e.event === "message").map((e) => JSON.parse(e.data).line),
        ["n1", "n2", "n3", "n4", "n5", "n6"],
      );
      const resumed = await openSse(`${s.url}/jobs/${id}/logs`, SECRETS.user, {
        "last-event-id": "4",
      });
      await resumed.done;
      assertEquals(
        resumed.events.filter((e) => e.event === "message").map((e) => JSON.parse(e.data).line),
        ["n5", "n6"],
      );
    },
  );

  await t.step("streams need a user secret; an unknown job is 404", async () => {
    const anonymous = await fetch(`${s.url}/jobs/x/logs`);
    await anonymous.body?.cancel();
    assertEquals(anonymous.status, 401);
    const registerOnly = await openSse(`${s.url}/jobs/x/logs`, SECRETS.register);
    assertEquals(registerOnly.status, 403);
    const missing = await openSse(`${s.url}/jobs/nope/logs`, SECRETS.user);
    assertEquals(missing.status, 404);
  });

  await t.step("a stalled reader holds up neither the job nor another reader", async () => {
    const id = await s.user.call<string>("jobs.create", {
      job: {
        runner: "scripts",
        payload: "for (let i = 1; i <= 50000; i++) console.log('x'.repeat(100) + i);",
      },
    });
    // Opened and never read: its buffers fill; the server must not wait on it.
    const stalled = await fetch(`${s.url}/jobs/${id}/logs`, {
      headers: { authorization: `Bearer ${SECRETS.user}` },
    });
    const reader = await openSse(`${s.url}/jobs/${id}/logs`, SECRETS.user);
    await s.user.call("job.start", { job_id: id });
    assertEquals(
      (await s.user.call<{ success: string }>("job.result", { job_id: id, wait_ms: 30_000 }))
        .success.length > 0,
      true,
    );
    await reader.done;
    // The reader that keeps up gets every line live (more than the store keeps), in order.
    const lines = reader.events.filter((e) => e.event === "message").map((e) =>
      JSON.parse(e.data) as LogLine
    );
    const output = lines.filter((l) => l.stream === "stdout");
    assertEquals(output.length, 50_000);
    assertEquals(output.map((l) => l.seq), Array.from({ length: 50_000 }, (_, i) => i + 1));
    assertEquals(output.at(-1)!.line, "x".repeat(100) + 50000);
    assertMatch(lines.at(-1)!.line, /^40000 earlier lines were dropped/);
    await stalled.body?.cancel();
  });

  await t.step(
    "a million lines: completes, keeps the last 10 000, states the drop, bounded memory",
    async () => {
      const before = liveBytes();
      // The most this isolate's heap and buffers reach while the job prints, garbage included.
      let peak = 0;
      const sampler = setInterval(() => {
        const { heapTotal, external } = Deno.memoryUsage();
        peak = Math.max(peak, heapTotal + external);
      }, 20);
      const id = await start("for (let i = 1; i <= 1_000_000; i++) console.log(i);");
      const result = await s.user.call<{ success: string }>("job.result", {
        job_id: id,
        wait_ms: 120_000,
      }).finally(() => clearInterval(sampler));
      assert(peak - before < 300 * 1024 * 1024, `the heap reached ${Math.round(peak / 1e6)} MB`);
      assert("success" in result, JSON.stringify(result).slice(0, 200));
      const first = await s.user.call<LogPage>("job.logs", { job_id: id, limit: 3 });
      assertEquals(first.lines.map((l) => l.line), ["990001", "990002", "990003"]);
      assertEquals(first.dropped, 990_000);
      let page = first;
      let after = first.next;
      let count = first.lines.length;
      while (!page.done) {
        page = await s.user.call<LogPage>("job.logs", { job_id: id, after, limit: 5000 });
        count += page.lines.length;
        after = page.next;
      }
      const last = page.lines.at(-1)!;
      assertEquals(count, 10_001, "the last 10 000 lines and the note");
      assertEquals(last.stream, "system");
      assertMatch(last.line, /^990000 earlier lines were dropped; the last 10000 are kept/);
      // What the supervisor (in this isolate) still holds once the garbage is gone: not the
      // process's RSS, which other test files running beside this one share.
      const growth = liveBytes() - before;
      assert(
        growth < 50 * 1024 * 1024,
        `the supervisor holds ${Math.round(growth / 1e6)} MB more after the job`,
      );
    },
  );
});
