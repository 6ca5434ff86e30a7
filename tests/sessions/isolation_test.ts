/**
 * Runner isolation (`isolation = "runner"`): one session process serves
 * many jobs of its runner, one at a time. What it shares and what it does
 * not, checked on real processes: a payload's top level runs once per
 * process and its default export per job; the globals, timers and
 * environment variables a job changes are put back; a stop, a timeout, a
 * kill -9, a memory limit, `max_jobs`, a memory mark and processes left
 * behind each end the process, and the next job gets a fresh one.
 * (`process_control_test.ts` runs its cases under both isolation levels.)
 */

import type { Job } from "../../shared/types.generated.ts";
import { assert, assertEquals, eventually } from "../_helpers/assert.ts";
import { isAlive } from "../_helpers/processes.ts";
import { startSupervisor, type TestSupervisor } from "../_helpers/supervisor.ts";

/** Runs a payload on a runner; its result (success or error). */
async function run<T = unknown>(
  s: TestSupervisor,
  runner: string,
  payload: string,
  extra: Record<string, unknown> = {},
): Promise<{ success?: T; error?: string }> {
  return await s.user.call("job.run", { job: { runner, payload, ...extra } });
}

/** The session's pid, as a job sees it. */
const PID = "export default () => Deno.pid;";

/** A job that prints its session's pid, then waits for good. */
const HANG = `console.log(String(Deno.pid));
await new Promise(() => setInterval(() => {}, 1000));`;

async function pidOfRunning(s: TestSupervisor, jobId: string): Promise<number> {
  return await eventually(async () => {
    const page = await s.user.call<{ lines: { line: string }[] }>("job.logs", { job_id: jobId });
    return page.lines.length ? Number(page.lines[0].line) : null;
  });
}

Deno.test("runner isolation: one process, many jobs; what a job changes stays with it", async (t) => {
  await using s = await startSupervisor({
    sandbox: "off",
    runners: [
      {
        name: "warm",
        kind: "script",
        isolation: "runner",
        instances: 1,
        permissions: { env: ["HERO_ISO_VAR"] },
        stop_grace: 1,
      },
      { name: "few", kind: "script", isolation: "runner", instances: 1, max_jobs: 2 },
      {
        name: "spawner",
        kind: "script",
        isolation: "runner",
        instances: 1,
        permissions: { run: ["sleep"] },
      },
      { name: "small", kind: "script", isolation: "runner", instances: 1, memory_mb: 64 },
      { name: "marked", kind: "script", isolation: "runner", instances: 1, memory_mb: 160 },
    ],
  });
  for (const name of ["warm", "few", "spawner", "small", "marked"]) {
    await s.sup.runners.get(name).whenReady();
  }

  await t.step("the top level runs once per process, the default export once per job", async () => {
    const payload = `let calls = 0;
      const loaded = Deno.pid;
      export default () => ({ pid: Deno.pid, loaded, calls: ++calls });`;
    const results = [];
    for (let i = 0; i < 3; i++) results.push((await run(s, "warm", payload)).success);
    const pid = (results[0] as { pid: number }).pid;
    assertEquals(results, [1, 2, 3].map((calls) => ({ pid, loaded: pid, calls })));
  });

  await t.step("a payload without a function default export runs afresh each time", async () => {
    const payload = `globalThis.count = (globalThis.count ?? 0) + 1;
      console.log("ran", globalThis.count);`;
    for (let i = 0; i < 2; i++) {
      const id = await s.user.call<string>("jobs.create", { job: { runner: "warm", payload } });
      await s.user.call("job.start", { job_id: id });
      const result = await s.user.call("job.result", { job_id: id, wait_ms: 10_000 });
      // Its own globals went back after the first run: the count starts again.
      assertEquals(result, { success: "ran 1" });
    }
  });

  await t.step("globals, timers and environment variables go back after a job", async () => {
    const before = (await run<number>(s, "warm", PID)).success;
    const dirty = await run(
      s,
      "warm",
      `export default () => {
        globalThis.leaked = "from the last job";
        globalThis.fetch = () => "hijacked";
        // Every kind of change: a built-in deleted, an accessor made a value, a global added
        // that does not enumerate, one under a symbol, another built-in replaced.
        delete globalThis.structuredClone;
        Object.defineProperty(globalThis, "navigator", { value: "fake", configurable: true });
        Object.defineProperty(globalThis, "hidden", { value: 1, configurable: true });
        globalThis[Symbol.for("hero.leaked")] = 1;
        globalThis.atob = () => "hijacked";
        Deno.env.set("HERO_ISO_VAR", "set by a job");
        setInterval(() => console.log("a timer of the last job"), 5);
        setTimeout(() => console.log("a timeout of the last job"), 20);
        return Deno.pid;
      };`,
    );
    assertEquals(dirty, { success: before }, "the same process ran it");
    const id = await s.user.call<string>("jobs.create", {
      job: {
        runner: "warm",
        payload: `await new Promise((r) => setTimeout(r, 100));
          export default () => ({
            pid: Deno.pid,
            leaked: typeof globalThis.leaked,
            fetch: fetch.name,
            variable: Deno.env.get("HERO_ISO_VAR") ?? null,
            others: [
              typeof structuredClone,
              typeof navigator,
              "hidden" in globalThis,
              Symbol.for("hero.leaked") in globalThis,
              atob("aGk="),
            ],
          });`,
      },
    });
    await s.user.call("job.start", { job_id: id });
    const result = await s.user.call("job.result", { job_id: id, wait_ms: 10_000 });
    assertEquals(result, {
      success: {
        pid: before,
        leaked: "undefined",
        fetch: "fetch",
        variable: null,
        others: ["function", "object", false, false, "hi"],
      },
    });
    const logs = await s.user.call<{ lines: unknown[] }>("job.logs", { job_id: id });
    assertEquals(logs.lines, [], "no timer of the last job printed into this one");
  });

  await t.step("a job's env_vars are set for it and gone after it", async () => {
    const read = `export default () => Deno.env.get("HERO_ISO_VAR") ?? null;`;
    assertEquals(
      await run(s, "warm", read, { env_vars: { HERO_ISO_VAR: "given" } }),
      { success: "given" },
    );
    assertEquals(await run(s, "warm", read), { success: null });
  });

  await t.step("job.stop kills the process; the next job gets a new one", async () => {
    const first = (await run<number>(s, "warm", PID)).success!;
    const id = await s.user.call<string>("jobs.create", { job: { runner: "warm", payload: HANG } });
    await s.user.call("job.start", { job_id: id });
    assertEquals(await pidOfRunning(s, id), first, "the warm process took the job");
    await s.user.call("job.stop", { job_id: id });
    await eventually(() => !isAlive(first), 5000, "the process gone");
    assertEquals((await s.user.call<Job>("job.get", { job_id: id })).status, "stopped");
    const next = (await run<number>(s, "warm", PID)).success!;
    assert(next !== first, "a new process");
  });

  await t.step("a timeout does the same, and says so", async () => {
    const id = await s.user.call<string>("jobs.create", {
      job: { runner: "warm", payload: HANG, timeout: 1 },
    });
    await s.user.call("job.start", { job_id: id });
    const pid = await pidOfRunning(s, id);
    const result = await s.user.call("job.result", { job_id: id, wait_ms: 10_000 });
    assertEquals(result, { error: "timed out after 1 s" });
    await eventually(() => !isAlive(pid), 5000, "the process gone");
    assertEquals((await run<number>(s, "warm", "export default () => 1;")).success, 1);
  });

  await t.step("a kill -9 of the process mid-job fails the job at once", async () => {
    const id = await s.user.call<string>("jobs.create", { job: { runner: "warm", payload: HANG } });
    await s.user.call("job.start", { job_id: id });
    const pid = await pidOfRunning(s, id);
    Deno.kill(pid, "SIGKILL");
    const result = await s.user.call<{ error?: string }>("job.result", {
      job_id: id,
      wait_ms: 10_000,
    });
    assert(
      result.error?.includes("SIGKILL"),
      `the job failed, naming the kill: ${JSON.stringify(result)}`,
    );
    const next = (await run<number>(s, "warm", PID)).success!;
    assert(next !== pid && isAlive(next), "the pool replaced the process");
  });

  await t.step("max_jobs: a process is replaced after that many jobs", async () => {
    const pids = [];
    for (let i = 0; i < 5; i++) pids.push((await run<number>(s, "few", PID)).success!);
    assertEquals(pids[0], pids[1]);
    assert(pids[2] !== pids[1], "replaced after 2 jobs");
    assertEquals(pids[2], pids[3]);
    assert(pids[4] !== pids[3], "and again");
  });

  await t.step("a job that leaves processes running ends its process, and them", async () => {
    const first = (await run<number>(s, "spawner", PID)).success!;
    const left = await run<{ pid: number; sleep: number }>(
      s,
      "spawner",
      `export default () => {
        const sleep = new Deno.Command("sleep", { args: ["300"], stdout: "null", stderr: "null" })
          .spawn();
        return { pid: Deno.pid, sleep: sleep.pid };
      };`,
    );
    assertEquals(left.success?.pid, first, "the warm process ran it");
    await eventually(
      () => !isAlive(left.success!.sleep) && !isAlive(first),
      5000,
      "the sleep and its session gone",
    );
    const next = (await run<number>(s, "spawner", PID)).success!;
    assert(next !== first, "a new process for the next job");
  });

  await t.step("a job past memory_mb is killed; the next one runs", async () => {
    const result = await run(
      s,
      "small",
      "const keep = []; while (true) keep.push(new Array(1e5).fill(Math.random()));",
    );
    assertEquals(result, {
      error: "killed: the job exceeded its memory limit of 64 MB (memory_mb)",
    });
    assertEquals(await run(s, "small", "export default () => 1;"), { success: 1 });
  });

  await t.step("a process that holds over 3/4 of memory_mb is replaced", async () => {
    // The module stays loaded: what it keeps stays with the process.
    const hog = `const keep = [];
      export default () => {
        keep.push(new Uint8Array(140 * 1024 * 1024).fill(1));
        return Deno.pid;
      };`;
    const first = (await run<number>(s, "marked", hog)).success!;
    // The host reports its memory every 8 jobs, starting with the first.
    const next = (await run<number>(s, "marked", PID)).success!;
    assert(next !== first, "replaced after the job that grew it");
    await eventually(() => !isAlive(first), 5000, "the big process gone");
  });
});

Deno.test("runner isolation: a process back from its job takes the next one, while the others wait", async () => {
  await using s = await startSupervisor({
    sandbox: "off",
    runners: [{ name: "pair", kind: "script", isolation: "runner", instances: 2 }],
  });
  await s.sup.runners.get("pair").whenReady();
  await eventually(
    async () => {
      const all = await s.admin.call<{ name: string; idle?: number }[]>(
        "get_all_runner_status",
        {},
      );
      return all.find((r) => r.name === "pair")?.idle === 2;
    },
    10_000,
    "both processes warm",
  );
  // One after the other: the same (hot) process each time, not the two in turn.
  const pids: (number | undefined)[] = [];
  for (let i = 0; i < 4; i++) pids.push((await run<number>(s, "pair", PID)).success);
  assertEquals(new Set(pids).size, 1, `one process: ${pids.join(", ")}`);
  // Two at once (each waits a moment): both are used.
  const slow = "export default async () => { await new Promise((r) => setTimeout(r, 300)); " +
    "return Deno.pid; };";
  const both = await Promise.all([1, 2].map(() => run<number>(s, "pair", slow)));
  assertEquals(new Set(both.map((r) => r.success)).size, 2);
});
