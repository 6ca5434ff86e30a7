/**
 * The job API against a live supervisor: transitions, dependencies,
 * retries with backoff, timeouts, leases, waits, lists and logs. Run once per
 * store backend (`job_api_embedded_test.ts`, `job_api_redis_test.ts`).
 */

import type { SupervisorConfig } from "../../server/config/config_schema.ts";
import type { Event, Job, JobStatusInfo, LogPage } from "../../shared/types.generated.ts";
import { assert, assertEquals, assertMatch, eventually, sleep } from "../_helpers/assert.ts";
import { startSupervisor, type TestSupervisor } from "../_helpers/supervisor.ts";

/** Starts the supervisor under test, with `overrides` for the backend. */
export type Boot = (
  overrides: Partial<SupervisorConfig>,
) => Promise<TestSupervisor & { extra?: () => Promise<void> }>;

const RUNNERS: SupervisorConfig["runners"] = [
  { name: "default", kind: "noop", instances: 4 },
  { name: "scripts", kind: "script", instances: 2, timeout: 30 },
];

/** Registers the job API tests for one backend. */
export function jobApiSuite(backend: string, boot: Boot): void {
  const test = (
    name: string,
    fn: (s: TestSupervisor) => Promise<void>,
    overrides: Partial<SupervisorConfig> = {},
  ) =>
    Deno.test(`job API (${backend}): ${name}`, async () => {
      const s = await boot({
        runners: RUNNERS,
        retry_delay: 0.1,
        retry_delay_max: 2,
        ...overrides,
      });
      try {
        await s.sup.runners.get("scripts").whenReady();
        await fn(s);
      } finally {
        await s.close();
        await s.extra?.();
      }
    });
  const status = (s: TestSupervisor, id: string) =>
    s.user.call<JobStatusInfo>("job.status", { job_id: id });
  const get = (s: TestSupervisor, id: string) => s.user.call<Job>("job.get", { job_id: id });
  const finalOf = (s: TestSupervisor, id: string) =>
    eventually(
      async () => {
        const job = await get(s, id);
        return ["completed", "failed", "stopped", "timeout"].includes(job.status) ? job : null;
      },
      15_000,
      `job ${id} to be final`,
    );

  test("create stores, start queues, the runner completes, result and status agree", async (s) => {
    const id = await s.user.call<string>("jobs.create", {
      job: { runner: "default", payload: "x", caller_id: "me" },
    });
    assertMatch(id, /^[0-9a-f-]{36}$/);
    await sleep(100);
    assertEquals((await status(s, id)).status, "created");
    assertEquals(await s.user.call("job.start", { job_id: id }), null);
    assertEquals(await s.user.call("job.result", { job_id: id, wait_ms: 5000 }), { success: null });
    const info = await status(s, id);
    assertEquals([info.status, info.attempts, info.runner], ["completed", 1, "default"]);
    assert(info.started_at! >= info.created_at && info.finished_at! >= info.started_at!);
  });

  test("transitions are enforced with -32009", async (s) => {
    const id = await s.user.call<string>("jobs.create", {
      job: { id: "tr", runner: "default", payload: "x" },
    });
    await s.user.call("job.start", { job_id: id });
    await s.user.call("job.result", { job_id: id });
    const again = await s.user.error("job.start", { job_id: id });
    assertEquals([again.code, again.message], [
      -32009,
      'job "tr" is completed: only a created job can be started',
    ]);
    assertEquals(
      (await s.user.error("job.stop", { job_id: id })).message,
      'job "tr" is already completed',
    );
    const dup = await s.user.error("jobs.create", {
      job: { id: "tr", runner: "default", payload: "x" },
    });
    assertEquals([dup.code, dup.message], [-32009, 'job "tr" already exists']);
    // A running job can neither be started nor deleted.
    await s.user.call("jobs.create", {
      job: {
        id: "long",
        runner: "scripts",
        payload: "await new Promise((r) => setTimeout(r, 20000));",
      },
    });
    await s.user.call("job.start", { job_id: "long" });
    await eventually(async () => (await status(s, "long")).status === "running");
    assertEquals((await s.user.error("job.start", { job_id: "long" })).code, -32009);
    const del = await s.user.error("job.delete", { job_id: "long" });
    assertEquals([del.code, del.message], [
      -32009,
      'job "long" is running: stop it before deleting it',
    ]);
    assertEquals(await s.user.call("job.stop", { job_id: "long", reason: "test" }), null);
    const stopped = await get(s, "long");
    assertEquals(stopped.status, "stopped");
    assertMatch(stopped.error!, /^stopped by user:sha256:[0-9a-f]{12}: test$/);
    assertEquals(await s.user.call("job.delete", { job_id: "long" }), null);
    assertEquals((await s.user.error("job.get", { job_id: "long" })).code, -32004);
    assertEquals(
      (await s.user.error("job.status", { job_id: "nope" })).message,
      'job "nope" not found',
    );
  });

  test("unknown runners and prerequisites are -32004; depending on itself is -32602", async (s) => {
    const runner = await s.user.error("jobs.create", { job: { runner: "ghost", payload: "x" } });
    assertEquals([runner.code, runner.message], [-32004, 'runner "ghost" not found']);
    const dep = await s.user.error("jobs.create", {
      job: { runner: "default", payload: "x", depends_on: ["nope"] },
    });
    assertEquals([dep.code, dep.message], [-32004, 'job "nope" (in depends_on) not found']);
    const self = await s.user.error("jobs.create", {
      job: { id: "me", runner: "default", payload: "x", depends_on: ["me"] },
    });
    assertEquals([self.code, self.message], [
      -32602,
      "job.depends_on: a job cannot depend on itself",
    ]);
    const queue = await s.admin.error("queue_job_to_runner", {
      runner: "ghost",
      job: { payload: "x" },
    });
    assertEquals(queue.code, -32004);
    const differs = await s.admin.error("queue_job_to_runner", {
      runner: "default",
      job: { runner: "scripts", payload: "x" },
    });
    assertEquals(differs.code, -32602);
  });

  test("depends_on: queued only once every prerequisite completed", async (s) => {
    await s.user.call("jobs.create", {
      job: {
        id: "a",
        runner: "scripts",
        payload: "await new Promise((r) => setTimeout(r, 300)); export default 'a';",
      },
    });
    await s.user.call("jobs.create", {
      job: { id: "b", runner: "default", payload: "x", depends_on: ["a"] },
    });
    await s.user.call("job.start", { job_id: "b" });
    const waiting = await status(s, "b");
    assertEquals([waiting.status, waiting.waiting_on], ["created", ["a"]]);
    assertMatch(waiting.note!, /waiting for 1 prerequisite/);
    assertEquals(
      (await s.user.error("job.start", { job_id: "b" })).message,
      'job "b" is already started and waits for a',
    );
    await s.user.call("job.start", { job_id: "a" });
    assertEquals((await finalOf(s, "b")).status, "completed");
    const [a, b] = [await get(s, "a"), await get(s, "b")];
    assert(b.started_at! >= a.finished_at!, "b started after a finished");
    // A prerequisite already completed: queued at once.
    await s.user.call("jobs.create", {
      job: { id: "c", runner: "default", payload: "x", depends_on: ["a", "b"] },
    });
    await s.user.call("job.start", { job_id: "c" });
    assertEquals((await finalOf(s, "c")).status, "completed");
  });

  test("run_at and delay: scheduled until then, then run; stopped or deleted before then", async (s) => {
    const later = Date.now() + 3_600_000;
    const id = await s.admin.call<string>("queue_job_to_runner", {
      runner: "default",
      job: { payload: "x", run_at: later },
    });
    const st = await status(s, id);
    assertEquals(st.status, "scheduled");
    assertMatch(st.note!, /^scheduled: starts at /);
    assertEquals((await get(s, id)).run_at, later);
    assertEquals(
      (await s.user.error("job.start", { job_id: id })).code,
      -32009,
      "already started: it waits for its time",
    );
    await s.user.call("job.stop", { job_id: id, reason: "not needed" });
    assertEquals((await get(s, id)).status, "stopped");
    const other = await s.admin.call<string>("queue_job_to_runner", {
      runner: "default",
      job: { payload: "x", delay: 3600 },
    });
    await s.user.call("job.delete", { job_id: other });
    assertEquals((await s.user.error("job.get", { job_id: other })).code, -32004);
    // A short delay: it runs once due, not before (orders, not windows).
    const soon = await s.admin.call<string>("queue_job_to_runner", {
      runner: "default",
      job: { payload: "x", delay: 0.2 },
    });
    const done = await finalOf(s, soon);
    assertEquals(done.status, "completed");
    assert(done.started_at! >= done.run_at!, "started once due");
    // Both at once is a clear error.
    const both = await s.user.error("jobs.create", {
      job: { runner: "default", payload: "x", delay: 1, run_at: later },
    });
    assertEquals([both.code, both.message], [-32602, "job: give run_at or delay, not both"]);
    const counts = await s.admin.call<{ jobs: Record<string, number> }>("get_all_status", {});
    assertEquals(counts.jobs.scheduled, 0);
  });

  test("jobs.create_many: all or nothing; a flow of three passes a value along", async (s) => {
    await s.user.call("jobs.create", { job: { id: "taken", runner: "default", payload: "x" } });
    const refused = await s.user.error("jobs.create_many", {
      jobs: [
        { id: "fresh-1", runner: "default", payload: "x" },
        { id: "taken", runner: "default", payload: "x" },
      ],
      start: true,
    });
    assertEquals([refused.code, refused.message], [
      -32009,
      'job "taken" already exists: no job was created',
    ]);
    assertEquals((await s.user.error("job.get", { job_id: "fresh-1" })).code, -32004);
    const unknown = await s.user.error("jobs.create_many", {
      jobs: [{ runner: "default", payload: "x" }, { runner: "nope", payload: "x" }],
    });
    assertEquals(unknown.code, -32004);
    const ids = await s.user.call<string[]>("jobs.create_many", {
      jobs: [
        { id: "f1", runner: "scripts", payload: "export default () => 20;" },
        {
          id: "f2",
          runner: "scripts",
          payload: "export default ({ deps }) => deps.f1 * 2;",
          depends_on: ["f1"],
        },
        {
          id: "f3",
          runner: "scripts",
          payload: "export default ({ deps }) => ({ sum: deps.f1 + deps.f2 + 2 });",
          depends_on: ["f1", "f2"],
        },
      ],
      start: true,
    });
    assertEquals(ids, ["f1", "f2", "f3"]);
    const last = await finalOf(s, "f3");
    assertEquals([last.status, last.result], ["completed", { sum: 62 }]);
  });

  test("dedup_key: a second create within the window answers the first job's id", async (s) => {
    const first = await s.admin.call<string>("queue_job_to_runner", {
      runner: "default",
      job: { payload: "x", dedup_key: "nightly-report" },
    });
    const second = await s.admin.call<string>("queue_job_to_runner", {
      runner: "default",
      job: { payload: "x", dedup_key: "nightly-report" },
    });
    assertEquals(second, first);
    const ids = await s.user.call<string[]>("jobs.create_many", {
      jobs: [
        { runner: "default", payload: "x", dedup_key: "nightly-report" },
        { runner: "default", payload: "x", dedup_key: "other" },
      ],
    });
    assertEquals(ids[0], first);
    assert(ids[1] !== first);
    const all = await s.user.call<Job[]>("jobs.list", { runner: "default" });
    assertEquals(all.length, 2, "two jobs stored, not four");
  });

  test(
    "keep: the config's count trims completed jobs; a job's own age and count apply to it",
    async (s) => {
      const ids = await s.user.call<string[]>("jobs.create_many", {
        jobs: Array.from({ length: 6 }, () => ({ runner: "default", payload: "x" })),
        start: true,
      });
      for (const id of ids) await finalOf(s, id);
      await eventually(
        async () => (await s.user.call<Job[]>("jobs.list", { status: "completed" })).length === 3,
        10_000,
        "trimmed to the newest 3",
      );
      const kept = await s.user.call<Job[]>("jobs.list", { status: "completed" });
      assertEquals(kept.map((j) => j.id), ids.slice(3).reverse(), "the newest stay");
      // Its own count, applied when it ends: the store keeps 1 completed job (itself).
      const own = await s.admin.call<string>("queue_job_to_runner", {
        runner: "default",
        job: { payload: "x", keep: { completed: { count: 1 } } },
      });
      await finalOf(s, own);
      await eventually(
        async () => {
          const left = await s.user.call<Job[]>("jobs.list", { status: "completed" });
          return left.length === 1 && left[0].id === own;
        },
        10_000,
        "its own count",
      );
      // Its own age: gone a second after it ended, its logs too.
      const brief = await s.admin.call<string>("queue_job_to_runner", {
        runner: "default",
        job: { payload: "x", keep: { completed: { age: 1 } } },
      });
      await finalOf(s, brief);
      await eventually(
        async () =>
          (await s.user.error("job.get", { job_id: brief }).catch(() => null))?.code === -32004,
        10_000,
        "gone after its age",
      );
    },
    { keep: { completed: { count: 3 } } },
  );

  test("rate_limit: at most 2 starts per window of 0.5 s; the others wait, none fails", async (s) => {
    await s.admin.call("register_runner", {
      runner: { name: "limited", kind: "noop", instances: 8, rate_limit: { max: 2, per: 0.5 } },
    });
    const ids = await s.user.call<string[]>("jobs.create_many", {
      jobs: Array.from({ length: 7 }, () => ({ runner: "limited", payload: "x" })),
      start: true,
    });
    const jobs = [];
    for (const id of ids) jobs.push(await finalOf(s, id));
    assert(jobs.every((j) => j.status === "completed"), "none failed for the limit");
    // Counted by the windows the jobs started in (the clock's, not a stopwatch's).
    const perWindow = new Map<number, number>();
    for (const j of jobs) {
      const w = Math.floor(j.started_at! / 500);
      perWindow.set(w, (perWindow.get(w) ?? 0) + 1);
    }
    assert([...perWindow.values()].every((n) => n <= 2), JSON.stringify([...perWindow]));
    assert(perWindow.size >= 4, "7 jobs at 2 per window take at least 4 windows");
  });

  test("depends_on: a prerequisite that fails, stops or times out fails its dependants, naming it", async (s) => {
    await s.user.call("jobs.create", {
      job: {
        id: "bad",
        runner: "scripts",
        payload: "await new Promise((r) => setTimeout(r, 200)); throw new Error('no');",
      },
    });
    await s.user.call("jobs.create", {
      job: { id: "d1", runner: "default", payload: "x", depends_on: ["bad"] },
    });
    await s.user.call("jobs.create", {
      job: { id: "d2", runner: "default", payload: "x", depends_on: ["d1"] },
    });
    await s.user.call("job.start", { job_id: "d2" });
    await s.user.call("job.start", { job_id: "d1" });
    await s.user.call("job.start", { job_id: "bad" });
    const d1 = await finalOf(s, "d1");
    assertEquals([d1.status, d1.error], ["failed", 'dependency "bad" failed']);
    const d2 = await finalOf(s, "d2");
    assertEquals([d2.status, d2.error], ["failed", 'dependency "d1" failed']);
    await s.user.call("jobs.create", { job: { id: "gone", runner: "default", payload: "x" } });
    await s.user.call("jobs.create", {
      job: { id: "d3", runner: "default", payload: "x", depends_on: ["gone"] },
    });
    await s.user.call("job.start", { job_id: "d3" });
    await s.user.call("job.stop", { job_id: "gone" });
    assertEquals((await finalOf(s, "d3")).error, 'dependency "gone" was stopped');
    await s.user.call("jobs.create", {
      job: {
        id: "slow",
        runner: "scripts",
        timeout: 0.3,
        payload: "await new Promise((r) => setTimeout(r, 5000));",
      },
    });
    await s.user.call("jobs.create", {
      job: { id: "d4", runner: "default", payload: "x", depends_on: ["slow"] },
    });
    await s.user.call("job.start", { job_id: "d4" });
    await s.user.call("job.start", { job_id: "slow" });
    assertEquals((await finalOf(s, "d4")).error, 'dependency "slow" timed out');
  });

  test("retries: with exponential backoff, then failed naming the attempts", async (s) => {
    await s.user.call("jobs.create", {
      job: {
        id: "flaky",
        runner: "scripts",
        retries: 3,
        payload:
          "export default ({ job }) => { if (job.attempt < 3) throw new Error('try ' + job.attempt); return job.attempt; };",
      },
    });
    await s.user.call("job.start", { job_id: "flaky" });
    assertEquals(await s.user.call("job.result", { job_id: "flaky", wait_ms: 15_000 }), {
      success: 3,
    });
    assertEquals((await get(s, "flaky")).attempts, 3);
    await s.user.call("jobs.create", {
      job: { id: "doomed", runner: "scripts", retries: 2, payload: "throw new Error('boom');" },
    });
    await s.user.call("job.start", { job_id: "doomed" });
    assertEquals(await s.user.call("job.result", { job_id: "doomed", wait_ms: 15_000 }), {
      error: "Error: boom (after 3 attempts)",
    });
    // Events are written in batches a few milliseconds apart.
    const events = await eventually(async () => {
      const page = await s.admin.call<{ events: Event[] }>("events.list", {
        after: 0,
        limit: 1000,
        subject: "doomed",
      });
      const started = page.events.filter((e) => e.type === "job.started");
      return started.length === 3 ? page.events : null;
    });
    const retries = events.filter((e) => e.type === "job.queued" && e.data?.retry);
    const delays = retries.map((e) => e.data!.delay_ms as number);
    // retry_delay 0.1 s doubling, plus up to 10% jitter: the backoff the job was given.
    assertEquals(delays.length, 2);
    assert(delays[0] >= 100 && delays[0] <= 110, `first delay ${delays[0]} ms`);
    assert(delays[1] >= 200 && delays[1] <= 220, `second delay ${delays[1]} ms`);
    // And no attempt started before its time (an order of two stamps, not a window).
    const starts = events.filter((e) => e.type === "job.started").map((e) => e.ts);
    retries.forEach((e, i) => {
      assert(starts[i + 1] >= (e.data!.run_after as number), `attempt ${i + 2} waited its turn`);
    });
    // A stop or a timeout is never retried.
    await s.user.call("jobs.create", {
      job: {
        id: "to",
        runner: "scripts",
        retries: 3,
        timeout: 0.4,
        payload: "await new Promise((r) => setTimeout(r, 5000));",
      },
    });
    await s.user.call("job.start", { job_id: "to" });
    const to = await finalOf(s, "to");
    assertEquals([to.status, to.attempts, to.error], ["timeout", 1, "timed out after 0.4 s"]);
  });

  test(
    "a running job past timeout plus grace is marked timeout even if its runner vanished",
    async (s) => {
      await s.user.call("jobs.create", {
        job: { id: "orphan", runner: "ghostly", payload: "x", timeout: 0.3 },
      })
        .catch(() => {});
      // A runner that takes the job and vanishes: taken through the store, never renewed or finished.
      await s.sup.store.insertJob({
        id: "orphan",
        runner: "nobody",
        payload: "x",
        status: "queued",
        created_at: Date.now(),
        updated_at: Date.now(),
        attempts: 0,
        timeout: 0.3,
      });
      await s.sup.store.takeJobs(
        "nobody",
        1,
        "vanished-worker",
        Date.now(),
        Date.now() + 60_000,
        200,
      );
      const job = await finalOf(s, "orphan");
      assertEquals(job.status, "timeout");
      assertMatch(job.error!, /timed out after 0.3 s \(its runner did not report in time\)/);
    },
    { timeout_grace: 0.2 },
  );

  test("a lost lease is retried (or failed) within the lease bound, never left running", async (s) => {
    for (const [id, retries] of [["lost-retried", 1], ["lost-failed", 0]] as const) {
      await s.sup.store.insertJob({
        id,
        runner: "nowhere",
        payload: "x",
        status: "queued",
        created_at: Date.now(),
        updated_at: Date.now(),
        attempts: 0,
        timeout: 60,
        retries,
      });
      await s.sup.store.takeJobs("nowhere", 1, "dead-worker", Date.now(), Date.now() + 300, 0);
    }
    const failed = await finalOf(s, "lost-failed");
    assertEquals(failed.status, "failed");
    assertMatch(failed.error!, /stopped renewing its lease \(dead-worker\)/);
    const retried = await eventually(async () => {
      const j = await get(s, "lost-retried");
      return j.status === "queued" && j.attempts === 1 ? j : null;
    });
    assertMatch(retried.error!, /stopped renewing its lease/);
  });

  test("waits: job.result -32008, job.run results, job.run wait running out", async (s) => {
    await s.user.call("jobs.create", {
      job: {
        id: "w",
        runner: "scripts",
        payload: "await new Promise((r) => setTimeout(r, 3000));",
      },
    });
    await s.user.call("job.start", { job_id: "w" });
    const timeout = await s.user.error("job.result", { job_id: "w", wait_ms: 200 });
    assertEquals(timeout.code, -32008);
    assertEquals((timeout.data as { job_id: string }).job_id, "w");
    assertEquals(
      await s.user.call("job.run", {
        job: { runner: "scripts", payload: "export default { a: [1, 2] };" },
      }),
      { success: { a: [1, 2] } },
    );
    assertEquals(
      await s.user.call("job.run", {
        job: { runner: "scripts", payload: "console.log('out'); console.log('put');" },
      }),
      { success: "out\nput" },
    );
    const failing = await s.user.call("job.run", {
      job: { runner: "scripts", payload: "await Promise.reject(new TypeError('bad'));" },
    });
    assertEquals(failing, { error: "TypeError: bad" });
    const exit = await s.user.call<{ error: string }>("job.run", {
      job: { runner: "scripts", payload: "console.error('dying'); Deno.exit(3);" },
    });
    assertEquals(exit.error, "the job's process exited with code 3 without a result: dying");
    const ran = await s.user.error("job.run", {
      job: {
        id: "runs-on",
        runner: "scripts",
        payload: "await new Promise((r) => setTimeout(r, 1000)); export default 1;",
      },
      wait_ms: 100,
    });
    assertEquals(ran.code, -32008);
    assertEquals(await s.user.call("job.result", { job_id: "runs-on", wait_ms: 10_000 }), {
      success: 1,
    });
  });

  test("jobs.list: newest first, filters, pages with before", async (s) => {
    for (let i = 0; i < 12; i++) {
      await s.user.call("jobs.create", {
        job: {
          id: `l${String(i).padStart(2, "0")}`,
          runner: "default",
          payload: "x",
          caller_id: i % 3 ? "x" : "three",
          context_id: "ctx",
        },
      });
    }
    const first = await s.user.call<Job[]>("jobs.list", { limit: 5 });
    assertEquals(first.map((j) => j.id), ["l11", "l10", "l09", "l08", "l07"]);
    const next = await s.user.call<Job[]>("jobs.list", { limit: 5, before: "l07" });
    assertEquals(next.map((j) => j.id), ["l06", "l05", "l04", "l03", "l02"]);
    const three = await s.user.call<Job[]>("jobs.list", { caller_id: "three", status: "created" });
    assertEquals(three.map((j) => j.id), ["l09", "l06", "l03", "l00"]);
    assertEquals((await s.user.call<Job[]>("jobs.list", { runner: "scripts" })).length, 0);
    assertEquals((await s.user.error("jobs.list", { before: "nope" })).code, -32004);
    for (const j of first) {
      assertEquals(Object.keys(j).some((k) => ["seq", "worker", "lease_until"].includes(k)), false);
    }
  });

  test("a job queued to a runner with no live instance says so in job.status", async (s) => {
    await s.admin.call("stop_runner", { name: "scripts" });
    const id = await s.admin.call<string>("queue_job_to_runner", {
      runner: "scripts",
      job: { payload: "export default 5;" },
    });
    const info = await status(s, id);
    assertEquals([info.status, info.runner_live], ["queued", false]);
    assertEquals(info.note, 'no live instance of runner "scripts": the job waits until one starts');
    await s.admin.call("start_runner", { name: "scripts" });
    assertEquals(await s.user.call("job.result", { job_id: id, wait_ms: 10_000 }), { success: 5 });
  });

  test("job.logs: pages in order without gap or repeat; long-polls for the next line", async (s) => {
    const id = await s.user.call<string>("jobs.create", {
      job: {
        runner: "scripts",
        payload: "for (let i = 1; i <= 50; i++) console.log('line ' + i);",
      },
    });
    await s.user.call("job.start", { job_id: id });
    await s.user.call("job.result", { job_id: id, wait_ms: 10_000 });
    const seen: string[] = [];
    let after = 0;
    for (;;) {
      const page = await s.user.call<LogPage>("job.logs", { job_id: id, after, limit: 7 });
      seen.push(...page.lines.map((l) => l.line));
      after = page.next;
      if (page.done) break;
      assert(page.lines.length > 0, "a page before the end has lines");
    }
    assertEquals(seen, Array.from({ length: 50 }, (_, i) => `line ${i + 1}`));
    const slow = await s.user.call<string>("jobs.create", {
      job: {
        runner: "scripts",
        payload: "await new Promise((r) => setTimeout(r, 400)); console.log('late');" +
          "await new Promise((r) => setTimeout(r, 120_000));",
      },
    });
    await s.user.call("job.start", { job_id: slow });
    const polled = await s.user.call<LogPage>("job.logs", { job_id: slow, wait_ms: 60_000 });
    assertEquals(polled.lines.map((l) => [l.seq, l.stream, l.line]), [[1, "stdout", "late"]]);
    // Woken by the line, not by the wait running out: the job still runs.
    assertEquals((await status(s, slow)).status, "running");
    await s.user.call("job.stop", { job_id: slow });
  });
}

/** The embedded backend: a supervisor with its own data directory. */
export const bootEmbedded: Boot = (overrides) => startSupervisor(overrides);
