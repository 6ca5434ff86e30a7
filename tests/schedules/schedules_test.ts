/**
 * Cron schedules through the API: made, read, changed, paused, triggered
 * and deleted, each owned by its secret; bad expressions and zones refused
 * with the reason; the catch-up and overlap policies on a clock the test
 * controls; and the config's `[[schedules]]`.
 */

import type { Job, Schedule } from "../../shared/types.generated.ts";
import { assert, assertEquals, assertMatch, eventually } from "../_helpers/assert.ts";
import { SECRETS, startSupervisor } from "../_helpers/supervisor.ts";

const T0 = Date.UTC(2030, 0, 1, 0, 0, 0);
const HOUR = 3_600_000;

Deno.test("schedules: create, read, update, pause, resume, trigger, delete; owners", async () => {
  const clock = { now: T0 };
  await using s = await startSupervisor({
    runners: [{ name: "default", kind: "noop" }],
    user_secrets: [SECRETS.user, "another-user-secret-0000000000"],
  }, { now: () => clock.now });
  const made = await s.user.call<Schedule>("schedules.create", {
    schedule: {
      name: "hourly",
      cron: "0 * * * *",
      timezone: "Europe/Brussels",
      job: { runner: "default", payload: "x" },
    },
  });
  assertEquals([made.overlap, made.catch_up, made.paused], ["skip", "none", false]);
  assertEquals(made.next_run_at, T0 + HOUR);
  assertMatch(made.owner, /^user:/);
  assertEquals(
    (await s.user.error("schedules.create", {
      schedule: { name: "hourly", cron: "* * * * *", job: { runner: "default", payload: "x" } },
    })).code,
    -32009,
  );
  // Refusals name what is wrong.
  const bad = await s.user.error("schedules.create", {
    schedule: { name: "bad", cron: "61 * * * *", job: { runner: "default", payload: "x" } },
  });
  assertEquals(bad.code, -32602);
  assertMatch(bad.message, /^schedule\.cron: /);
  const zone = await s.user.error("schedules.create", {
    schedule: {
      name: "bad",
      cron: "* * * * *",
      timezone: "Mars/Olympus",
      job: { runner: "default", payload: "x" },
    },
  });
  assertEquals(zone.message, 'schedule.timezone: "Mars/Olympus" is not a time zone');
  // Its first tick comes: one job, NAME@TIME.
  clock.now = T0 + HOUR + 100;
  const fired = await eventually(
    async () => {
      const st = await s.user.call<Schedule>("schedules.get", { name: "hourly" });
      return st.runs.length ? st : null;
    },
    10_000,
    "the first tick",
  );
  assertEquals(fired.runs[0], { tick: T0 + HOUR, job_id: "hourly@2030-01-01T01:00:00.000Z" });
  assertEquals(fired.last_tick, T0 + HOUR);
  assertEquals(fired.next_run_at, T0 + 2 * HOUR);
  const job = await s.user.call<Job>("job.get", { job_id: fired.runs[0].job_id });
  assertEquals(job.runner, "default");
  // Paused: no next run; its ticks pass without a job.
  const paused = await s.user.call<Schedule>("schedules.pause", { name: "hourly" });
  assertEquals([paused.paused, paused.next_run_at], [true, null]);
  const resumed = await s.user.call<Schedule>("schedules.resume", { name: "hourly" });
  assertEquals(resumed.next_run_at, T0 + 2 * HOUR);
  const updated = await s.user.call<Schedule>("schedules.update", {
    name: "hourly",
    changes: { cron: "30 * * * *" },
  });
  assertEquals([updated.cron, updated.next_run_at], ["30 * * * *", T0 + HOUR + HOUR / 2]);
  const manual = await s.user.call<string>("schedules.trigger", { name: "hourly" });
  assertMatch(manual, /^hourly@manual-/);
  const afterTrigger = await s.user.call<Schedule>("schedules.get", { name: "hourly" });
  assertEquals(afterTrigger.runs[0].job_id, manual);
  assertEquals(afterTrigger.last_tick, T0 + HOUR, "a trigger is not a tick");
  // Another user neither sees nor touches it; an admin sees all.
  const other = s.admin.as("another-user-secret-0000000000");
  assertEquals(await other.call("schedules.list", {}), []);
  assertEquals((await other.error("schedules.pause", { name: "hourly" })).code, -32004);
  assertEquals(
    (await s.admin.call<Schedule[]>("schedules.list", {})).map((x) => x.name),
    ["hourly"],
  );
  await s.user.call("schedules.delete", { name: "hourly" });
  assertEquals((await s.user.error("schedules.get", { name: "hourly" })).code, -32004);
  // The jobs it made stay.
  assertEquals((await s.user.call<Job>("job.get", { job_id: manual })).id, manual);
});

Deno.test("schedules: catch-up after downtime: none, the last, or all of the missed ticks", async () => {
  const clock = { now: T0 };
  await using s = await startSupervisor({
    runners: [{ name: "default", kind: "noop", instances: 8 }],
  }, { now: () => clock.now });
  for (const catch_up of ["none", "last", "all"]) {
    await s.admin.call("schedules.create", {
      schedule: {
        name: `catch-${catch_up}`,
        cron: "0 * * * *",
        catch_up,
        job: { runner: "default", payload: "x" },
      },
    });
  }
  // Five hourly ticks pass unseen (as if no supervisor ran), then a look at 05:00:10.
  clock.now = T0 + 5 * HOUR + 10_000;
  const runsOf = async (name: string) =>
    (await s.admin.call<Schedule>("schedules.get", { name })).runs;
  await eventually(async () => (await runsOf("catch-all")).length === 5, 10_000, "all five");
  const none = await eventually(
    async () => {
      const runs = await runsOf("catch-none");
      return runs.length ? runs : null;
    },
    10_000,
    "none",
  );
  assertEquals(none, [{ tick: T0 + 5 * HOUR, skipped: "missed 5 tick(s)" }]);
  const last = await runsOf("catch-last");
  assertEquals(last.map((r) => [r.tick, r.job_id ?? r.skipped]), [
    [T0 + 5 * HOUR, "catch-last@2030-01-01T05:00:00.000Z"],
    [T0 + 4 * HOUR, "missed 4 tick(s)"],
  ]);
  const all = await runsOf("catch-all");
  assertEquals(all.map((r) => r.tick), [5, 4, 3, 2, 1].map((h) => T0 + h * HOUR));
  assert(all.every((r) => r.job_id), "each missed tick has its job");
});

Deno.test("schedules: overlap skip, queue and allow while the last job runs", async () => {
  const clock = { now: T0 };
  // The test's clock moves by 10 minutes: within the lease, far within the jobs' timeout.
  await using s = await startSupervisor({
    runners: [{ name: "slow", kind: "script", instances: 4, timeout: 604_800 }],
    lease: 3600,
  }, { now: () => clock.now });
  const payload = "await new Promise((r) => setTimeout(r, 600_000));";
  for (const overlap of ["skip", "queue", "allow"]) {
    await s.admin.call("schedules.create", {
      schedule: { name: overlap, cron: "*/10 * * * *", overlap, job: { runner: "slow", payload } },
    });
  }
  const runsOf = async (name: string) =>
    (await s.admin.call<Schedule>("schedules.get", { name })).runs;
  const statusOf = async (id: string) =>
    (await s.admin.call<Job>("job.get", { job_id: id })).status;
  const TEN = 600_000;
  clock.now = T0 + TEN;
  for (const name of ["skip", "queue", "allow"]) {
    const [run] = await eventually(
      async () => {
        const runs = await runsOf(name);
        return runs.length === 1 ? runs : null;
      },
      10_000,
      `${name}: first tick`,
    );
    await eventually(async () => (await statusOf(run.job_id!)) === "running", 20_000, "running");
  }
  clock.now = T0 + 2 * TEN;
  const second = async (name: string) =>
    await eventually(
      async () => {
        const runs = await runsOf(name);
        return runs.length === 2 ? runs[0] : null;
      },
      10_000,
      `${name}: second tick`,
    );
  assertMatch((await second("skip")).skipped!, /^its last job skip@.* is still running$/);
  const held = await second("queue");
  assertEquals(await statusOf(held.job_id!), "created", "held until the last one ends");
  const both = await second("allow");
  await eventually(async () => (await statusOf(both.job_id!)) === "running", 20_000, "both run");
  // The first queued one ends: the held one starts.
  const [, first] = await runsOf("queue");
  await s.admin.call("job.stop", { job_id: first.job_id });
  await eventually(
    async () => ["queued", "running"].includes(await statusOf(held.job_id!)),
    10_000,
    "the held job starts",
  );
  for (const job of await s.admin.call<Job[]>("jobs.list", { status: "running" })) {
    await s.admin.call("job.stop", { job_id: job.id });
  }
  for (const job of await s.admin.call<Job[]>("jobs.list", { status: "queued" })) {
    await s.admin.call("job.stop", { job_id: job.id });
  }
});

Deno.test("schedules: [[schedules]] of the config exist at start, owned by the config", async () => {
  await using s = await startSupervisor({
    runners: [{ name: "default", kind: "noop" }],
    schedules: [{
      name: "from-config",
      cron: "*/10 * * * * *",
      job: { runner: "default", payload: "x" },
    }],
  });
  const list = await s.admin.call<Schedule[]>("schedules.list", {});
  assertEquals(list.map((x) => [x.name, x.owner, x.cron]), [[
    "from-config",
    "config",
    "*/10 * * * * *",
  ]]);
  assertEquals(await s.user.call("schedules.list", {}), [], "a user does not own it");
});
