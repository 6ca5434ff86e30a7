/**
 * Restart policies with real processes, counted from the program's side (it
 * appends a line to a file at each start): backoff that grows and is capped,
 * quarantine past the restart intensity, `transient` and `temporary`, a
 * `kill -9` mid-job, and unanswered pings.
 */

import type { Event, Job, RunnerConfig, RunnerStatus } from "../../shared/types.generated.ts";
import { assert, assertEquals, assertMatch, eventually, sleep } from "../_helpers/assert.ts";
import { isAlive } from "../_helpers/processes.ts";
import { startSupervisor } from "../_helpers/supervisor.ts";
import { echoRunner } from "../_helpers/echo_runner.ts";

/** The fixture, logging its starts to `log`, restarted a little slower than by default. */
function fixture(
  name: string,
  log: string,
  env: Record<string, string> = {},
  extra: Partial<RunnerConfig> = {},
): RunnerConfig {
  return echoRunner(name, { FIXTURE_START_LOG: log, ...env }, {
    restart_delay: 0.1,
    restart_delay_max: 0.4,
    ping_timeout: 2,
    ...extra,
  });
}

/** The start times the program logged. */
async function starts(log: string): Promise<number[]> {
  const text = await Deno.readTextFile(log).catch(() => "");
  return text.trim().split("\n").filter(Boolean).map((l) => Number(l.split(" ")[1]));
}

Deno.test("a crash loop: growing, capped delays, then quarantine after the intensity limit", async () => {
  const dir = await Deno.makeTempDir();
  const log = `${dir}/starts`;
  await using s = await startSupervisor({
    runners: [
      fixture("crashy", log, { FIXTURE_EXIT_AT_ONCE: "1" }, {
        max_restarts: 4,
        restart_window: 60,
      }),
    ],
  });
  const status = await eventually(
    async () => {
      const st = await s.admin.call<RunnerStatus>("get_runner_status", { name: "crashy" });
      return st.state === "quarantined" ? st : null;
    },
    15_000,
    "quarantine",
  );
  assertEquals(status.reason, "more than 4 restarts in 60 s");
  assertEquals(status.restarts, 4);
  assertEquals(status.last_exit?.code, 1);
  // Exactly one start and four restarts, seen from the program's side; then none.
  await sleep(1000);
  const times = await starts(log);
  assertEquals(times.length, 5);
  const gaps = times.slice(1).map((t, i) => t - times[i]);
  // Delays 100, 200, 400, 400 ms (capped), each with up to 10% jitter, plus the start itself.
  assert(gaps[0] >= 100 && gaps[1] >= 200 && gaps[2] >= 400 && gaps[3] >= 400, `gaps ${gaps}`);
  assert(gaps[1] > gaps[0] && gaps[2] > gaps[1], `growing: ${gaps}`);
  assert(gaps[3] < gaps[2] + 300, `capped: ${gaps}`);
  // Its queued jobs stay queued.
  const id = await s.admin.call<string>("queue_job_to_runner", {
    runner: "crashy",
    job: { payload: "{}" },
  });
  assertEquals((await s.user.call<Job>("job.get", { job_id: id })).status, "queued");
  // An operator lifts the quarantine; it crash-loops again from a clean slate.
  await s.admin.call("resume_runner", { name: "crashy", requested_by: "test", reason: "fixed?" });
  await eventually(async () => (await starts(log)).length > 5);
  const events = await s.admin.call<{ events: Event[] }>("events.list", {
    subject: "crashy",
    limit: 1000,
  });
  const resumed = events.events.find((e) => e.type === "runner.resumed");
  assertEquals([resumed?.requested_by, resumed?.reason], ["test", "fixed?"]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("transient restarts after exit 1 only; temporary never", async () => {
  const dir = await Deno.makeTempDir();
  await using s = await startSupervisor({
    runners: [
      fixture("transient-ok", `${dir}/a`, { FIXTURE_EXIT_AT_ONCE: "0" }, { restart: "transient" }),
      fixture("transient-bad", `${dir}/b`, { FIXTURE_EXIT_AT_ONCE: "1" }, {
        restart: "transient",
        max_restarts: 2,
      }),
      fixture("temporary-bad", `${dir}/c`, { FIXTURE_EXIT_AT_ONCE: "1" }, { restart: "temporary" }),
    ],
  });
  await eventually(
    async () => {
      const all = await s.admin.call<RunnerStatus[]>("get_all_runner_status");
      const state = Object.fromEntries(all.map((r) => [r.name, r.state]));
      return state["transient-ok"] === "stopped" && state["temporary-bad"] === "stopped" &&
        state["transient-bad"] === "quarantined";
    },
    15_000,
    "every runner settled",
  );
  await sleep(800);
  assertEquals((await starts(`${dir}/a`)).length, 1, "transient, exit 0: not restarted");
  assertEquals(
    (await starts(`${dir}/b`)).length,
    3,
    "transient, exit 1: restarted (twice, then quarantined)",
  );
  assertEquals((await starts(`${dir}/c`)).length, 1, "temporary: never restarted");
  const ok = await s.admin.call<RunnerStatus>("get_runner_status", { name: "transient-ok" });
  assertEquals([ok.last_exit?.code, ok.restarts], [0, 0]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("kill -9 of a runner process mid-job: the job is retried, the runner restarted", async () => {
  const dir = await Deno.makeTempDir();
  await using s = await startSupervisor({ runners: [fixture("victim", `${dir}/starts`)] });
  const before = await eventually(async () => {
    const st = await s.admin.call<RunnerStatus>("get_runner_status", { name: "victim" });
    return st.state === "running" && st.pids.length === 1 ? st : null;
  });
  const id = await s.user.call<string>("jobs.create", {
    job: {
      runner: "victim",
      retries: 1,
      payload: JSON.stringify({ slow_first: 60_000, result: "second try" }),
    },
  });
  await s.user.call("job.start", { job_id: id });
  await eventually(async () =>
    (await s.user.call<Job>("job.get", { job_id: id })).status === "running"
  );
  Deno.kill(before.pids[0], "SIGKILL");
  assertEquals(await s.user.call("job.result", { job_id: id, wait_ms: 15_000 }), {
    success: "second try",
  });
  const job = await s.user.call<Job>("job.get", { job_id: id });
  assertEquals(job.attempts, 2);
  const after = await s.admin.call<RunnerStatus>("get_runner_status", { name: "victim" });
  assertEquals(after.restarts, 1);
  assertEquals(after.last_exit?.signal, "SIGKILL");
  assert(!isAlive(before.pids[0]) && after.pids.every(isAlive));
  assertEquals((await starts(`${dir}/starts`)).length, 2);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a runner that stops answering pings is restarted after ping_failures pings", async () => {
  const dir = await Deno.makeTempDir();
  await using s = await startSupervisor({
    runners: [fixture("mute", `${dir}/starts`, { FIXTURE_PONGS: "2" }, {
      ping_interval: 1,
      ping_timeout: 0.3,
      ping_failures: 2,
    })],
  });
  // Conditions, not a moment: events are written in batches, and on a busy machine a slow first
  // answer may restart it once before the pings do.
  const events = await eventually(
    async () => {
      const page = await s.admin.call<{ events: Event[] }>("events.list", {
        subject: "mute",
        limit: 1000,
      });
      const types = page.events.map((e) => e.type);
      const restartedAfter = types.indexOf("runner.unhealthy") >= 0 &&
        types.indexOf("runner.unhealthy") < types.lastIndexOf("runner.starting");
      return types.filter((t) => t === "runner.ping_failed").length >= 2 && restartedAfter
        ? page
        : null;
    },
    30_000,
    "2 failed pings, then a restart",
  );
  const types = events.events.map((e) => e.type);
  // The event comes as the restart begins; the program notes its start a moment later.
  await eventually(
    async () => (await starts(`${dir}/starts`)).length >= 2,
    10_000,
    "it was started again",
  );
  const unhealthy = events.events.find((e) => e.type === "runner.unhealthy")!;
  assertEquals(unhealthy.requested_by, "supervisor");
  assertMatch(JSON.stringify(unhealthy.data), /2 pings failed in a row/);
  assert(types.indexOf("runner.unhealthy") < types.lastIndexOf("runner.starting"), types.join(" "));
  await Deno.remove(dir, { recursive: true });
});
