/**
 * Control of runners, with real processes: scaling under load (no job lost
 * or run twice), pause and resume, quarantine, start order and its reverse,
 * the exact event sequence of a crash loop as an SSE reader sees it, and a
 * graceful shutdown that leaves nothing of ours alive and loses no job.
 */

import type { CurrentState, Event, Job, RunnerStatus } from "./types.ts";
import { assert, assertEquals, assertMatch, eventually, sleep } from "../_helpers/assert.ts";
import { pathExists, runtimeDirOf } from "../_helpers/files.ts";
import { descendantsOf, findProcesses, isAlive } from "../_helpers/processes.ts";
import { openSse } from "../_helpers/sse.ts";
import { SECRETS, startSupervisor, SupervisorProcess } from "../_helpers/supervisor.ts";
import { echoRunner } from "../_helpers/echo_runner.ts";
import { runDeno } from "../_helpers/command.ts";

Deno.test("scale_runner up and down under load: every job runs, none twice", async () => {
  const dir = await Deno.makeTempDir();
  const runs = `${dir}/runs`;
  await using s = await startSupervisor({
    runners: [echoRunner("work", { FIXTURE_JOB_LOG: runs }, { instances: 1 })],
  });
  await eventually(async () =>
    (await s.admin.call<RunnerStatus>("get_runner_status", { name: "work" })).state === "running"
  );
  const ids: string[] = [];
  for (let i = 0; i < 120; i++) {
    ids.push(
      await s.admin.call<string>("queue_job_to_runner", {
        runner: "work",
        job: { payload: JSON.stringify({ sleep: 20 }) },
      }),
    );
  }
  const up = await s.admin.call<RunnerStatus>("scale_runner", {
    name: "work",
    instances: 4,
    requested_by: "test",
    reason: "load",
  });
  assertEquals(up.instances, 4);
  const four = await eventually(async () => {
    const st = await s.admin.call<RunnerStatus>("get_runner_status", { name: "work" });
    return st.pids.length === 4 && st.busy > 1 ? st : null;
  });
  assert(four.pids.every(isAlive));
  await sleep(300);
  await s.admin.call("scale_runner", { name: "work", instances: 2 });
  await eventually(
    async () => {
      const jobs = await s.sup.store.getJobs(ids);
      return jobs.every((j) => j?.status === "completed");
    },
    30_000,
    "all jobs completed",
  );
  const two = await eventually(async () => {
    const st = await s.admin.call<RunnerStatus>("get_runner_status", { name: "work" });
    return st.pids.length === 2 ? st : null;
  });
  for (const pid of four.pids.filter((p) => !two.pids.includes(p))) {
    await eventually(() => !isAlive(pid));
  }
  const executed = (await Deno.readTextFile(runs)).trim().split("\n");
  assertEquals(executed.length, ids.length, "each job ran once");
  assertEquals(new Set(executed).size, ids.length);
  const scaled = await s.admin.call<{ events: Event[] }>("events.list", {
    type: "runner.scaled",
    limit: 10,
  });
  assertEquals(scaled.events.map((e) => e.data), [{ from: 1, to: 4 }, { from: 4, to: 2 }]);
  assertEquals([scaled.events[0].requested_by, scaled.events[0].reason], ["test", "load"]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("pause lets running jobs finish and takes no new ones; resume takes them again", async () => {
  await using s = await startSupervisor({ runners: [echoRunner("p", {}, { instances: 1 })] });
  await eventually(async () =>
    (await s.admin.call<RunnerStatus>("get_runner_status", { name: "p" })).state === "running"
  );
  const running = await s.admin.call<string>("queue_job_to_runner", {
    runner: "p",
    job: { payload: JSON.stringify({ sleep: 400, result: 1 }) },
  });
  await eventually(async () =>
    (await s.user.call<Job>("job.get", { job_id: running })).status === "running"
  );
  const paused = await s.admin.call<RunnerStatus>("pause_runner", {
    name: "p",
    reason: "maintenance",
  });
  assertEquals([paused.state, paused.reason], ["paused", "maintenance"]);
  const waiting = await s.admin.call<string>("queue_job_to_runner", {
    runner: "p",
    job: { payload: "{}" },
  });
  assertEquals(await s.user.call("job.result", { job_id: running, wait_ms: 5000 }), { success: 1 });
  await sleep(300);
  assertEquals((await s.user.call<Job>("job.get", { job_id: waiting })).status, "queued");
  await s.admin.call("resume_runner", { name: "p" });
  assertEquals(await s.user.call("job.result", { job_id: waiting, wait_ms: 5000 }), {
    success: null,
  });
});

Deno.test("quarantine_runner stops it and holds its jobs; restart_runner lifts it", async () => {
  await using s = await startSupervisor({ runners: [echoRunner("q")] });
  const before = await eventually(async () => {
    const st = await s.admin.call<RunnerStatus>("get_runner_status", { name: "q" });
    return st.state === "running" ? st : null;
  });
  const q = await s.admin.call<RunnerStatus>("quarantine_runner", {
    name: "q",
    requested_by: "ops",
    reason: "bad deploy",
  });
  assertEquals([q.state, q.reason, q.pids], ["quarantined", "bad deploy", []]);
  await eventually(() => before.pids.every((p) => !isAlive(p)));
  const id = await s.admin.call<string>("queue_job_to_runner", {
    runner: "q",
    job: { payload: '{"result":"later"}' },
  });
  await sleep(200);
  assertEquals((await s.user.call<Job>("job.get", { job_id: id })).status, "queued");
  await s.admin.call("restart_runner", { name: "q" });
  assertEquals(await s.user.call("job.result", { job_id: id, wait_ms: 5000 }), {
    success: "later",
  });
  const events = await s.admin.call<{ events: Event[] }>("events.list", {
    type: "runner.quarantined",
    subject: "q",
  });
  assertEquals([events.events[0].requested_by, events.events[0].reason], ["ops", "bad deploy"]);
});

Deno.test("start order: a chain of three starts dependencies first, stops in reverse", async () => {
  const dir = await Deno.makeTempDir();
  await using s = await startSupervisor({
    runners: [
      echoRunner("c", { FIXTURE_START_LOG: `${dir}/c` }, { depends_on: ["b"] }),
      echoRunner("a", { FIXTURE_START_LOG: `${dir}/a` }),
      echoRunner("b", { FIXTURE_START_LOG: `${dir}/b` }, { depends_on: ["a"] }),
    ],
  });
  const state = await eventually(async () => {
    const st = await s.admin.call<CurrentState>("current_state");
    return st.runners.every((r) => r.state === "running") ? st : null;
  });
  assertEquals(state.start_order, ["a", "b", "c"]);
  const started = async (n: string) =>
    Number((await Deno.readTextFile(`${dir}/${n}`)).split(" ")[1]);
  const events =
    (await s.admin.call<{ events: Event[] }>("events.list", { type: "runner.", limit: 1000 }))
      .events;
  const at = (type: string, subject: string) =>
    events.findIndex((e) => e.type === type && e.subject === subject);
  // Each starts only once the one it depends on is ready.
  assert(at("runner.ready", "a") < at("runner.starting", "b"), "b after a is ready");
  assert(at("runner.ready", "b") < at("runner.starting", "c"), "c after b is ready");
  assert(await started("a") <= await started("b") && await started("b") <= await started("c"));
  await s.admin.call("stop_all", { reason: "order" });
  const stops = await eventually(async () => {
    const page = await s.admin.call<{ events: Event[] }>("events.list", {
      type: "runner.stopped",
      limit: 10,
    });
    return page.events.length === 3 ? page.events : null;
  });
  assertEquals(stops.map((e) => e.subject), ["c", "b", "a"]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a dependency cycle is refused at start, naming the cycle", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(
    `${dir}/c.toml`,
    '[[runners]]\nname = "a"\nkind = "noop"\ndepends_on = ["b"]\n[[runners]]\nname = "b"\nkind = "noop"\ndepends_on = ["a"]\n',
  );
  const out = await runDeno(["run", "-A", "server/main.ts", "--config", `${dir}/c.toml`]);
  assertEquals(out.code, 2);
  assertEquals(
    out.stderr.trim(),
    "config error: runners: depends_on forms a cycle: a -> b -> a",
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("/events: a subscriber sees a crash loop's exact sequence", async () => {
  await using s = await startSupervisor();
  const sse = await openSse(`${s.url}/events`, SECRETS.admin);
  assertEquals(sse.status, 200);
  await s.admin.call("register_runner", {
    runner: echoRunner("loop", { FIXTURE_EXIT_AT_ONCE: "3" }, { max_restarts: 2 }),
  });
  await eventually(
    () => sse.events.some((e) => JSON.parse(e.data).type === "runner.quarantined"),
    10_000,
  );
  await sse.close();
  const seen = sse.events.map((e) => JSON.parse(e.data) as Event).filter((e) =>
    e.subject === "loop"
  );
  assertEquals(seen.map((e) => e.type), [
    "runner.registered",
    "runner.starting",
    "runner.exited",
    "runner.restarting",
    "runner.exited",
    "runner.restarting",
    "runner.exited",
    "runner.quarantined",
  ]);
  assertEquals(seen.filter((e) => e.type === "runner.exited").map((e) => e.data?.code), [3, 3, 3]);
  assertEquals(seen.at(-1)!.reason, "more than 2 restarts in 60 s");
  // Ids grow by one, and the stream's ids are the events' ids.
  const ids = sse.events.map((e) => Number(e.id));
  assertEquals(ids, ids.map((_, i) => ids[0] + i));
  const anonymous = await fetch(`${s.url}/events`);
  await anonymous.body?.cancel();
  assertEquals(anonymous.status, 401);
  const asUser = await openSse(`${s.url}/events`, SECRETS.user);
  assertEquals(asUser.status, 403);
});

Deno.test("SIGTERM with 5 long jobs: grace, then kill; nothing of ours survives; they run again", async () => {
  const toml = `shutdown_grace = 1\n[[runners]]\nname = "long"\nkind = "script"\ninstances = 5\n`;
  const first = await SupervisorProcess.start(toml);
  await eventually(async () =>
    (await first.admin.call<RunnerStatus>("get_runner_status", { name: "long" })).state ===
      "running"
  );
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    ids.push(
      await first.admin.call<string>("queue_job_to_runner", {
        runner: "long",
        job: {
          // Longer than the grace: the first run is cut short; the rerun completes.
          payload: `console.log(crypto.randomUUID());
          await new Promise((r) => setTimeout(r, 4000));
          export default "ran again";`,
        },
      }),
    );
  }
  await eventually(async () => {
    for (const id of ids) {
      const page = await first.admin.call<{ lines: unknown[] }>("job.logs", { job_id: id });
      if (page.lines.length === 0) return false;
    }
    return true;
  });
  // Every process of the runner, as the OS sees it while the five jobs run.
  const runnerPids =
    (await first.admin.call<RunnerStatus>("get_runner_status", { name: "long" })).pids;
  const pids = [...runnerPids, ...runnerPids.flatMap(descendantsOf)];
  first.signal("SIGTERM");
  const { status, output } = await first.exited();
  assertEquals(status.code, 0);
  assertMatch(output, /running jobs have 1 s to finish/);
  for (const pid of pids) assert(!isAlive(pid), `pid ${pid} still alive`);
  assertEquals(findProcesses(first.dataDir), []);
  const second = await SupervisorProcess.start(toml, first.dataDir);
  try {
    for (const id of ids) {
      assertEquals(await second.admin.call("job.result", { job_id: id, wait_ms: 20_000 }), {
        success: "ran again",
      });
      // Two runs, two processes: the interrupted one and the rerun.
      const page = await second.admin.call<{ lines: { line: string }[] }>("job.logs", {
        job_id: id,
      });
      assertEquals(page.lines.length, 2);
      assert(page.lines[0].line !== page.lines[1].line);
    }
  } finally {
    second.signal("SIGTERM");
    await second.exited();
    await Deno.remove(first.dataDir, { recursive: true });
  }
});

Deno.test("a second SIGTERM forces the shutdown: every runner process is killed at once", async () => {
  const toml = `shutdown_grace = 60\n[[runners]]\nname = "long"\nkind = "script"\ninstances = 2\n`;
  const proc = await SupervisorProcess.start(toml);
  await eventually(async () =>
    (await proc.admin.call<RunnerStatus>("get_runner_status", { name: "long" })).state === "running"
  );
  const id = await proc.admin.call<string>("queue_job_to_runner", {
    runner: "long",
    job: { payload: "console.log('started'); await new Promise((r) => setTimeout(r, 60_000));" },
  });
  await eventually(async () => {
    const page = await proc.admin.call<{ lines: unknown[] }>("job.logs", { job_id: id });
    return page.lines.length > 0;
  });
  const runnerPids =
    (await proc.admin.call<RunnerStatus>("get_runner_status", { name: "long" })).pids;
  const pids = [...runnerPids, ...runnerPids.flatMap(descendantsOf)];
  // A session's cwd is the work dir, in the supervisor's temp dir.
  const runtimeDir = runtimeDirOf(runnerPids[0]);
  assert(runtimeDir.includes("hero-work-"), runtimeDir);
  proc.signal("SIGTERM");
  // A second signal counts once the first has had its moment (a copy of the same one does not).
  await eventually(async () => (await proc.output()).includes("SIGTERM: shutting down"));
  await sleep(1100);
  proc.signal("SIGTERM");
  // Forced: exit 1 at once, not after the 60 s grace (the job would have run on).
  const { status, output } = await proc.exited();
  assertEquals(status.code, 1);
  assertMatch(output, /SIGTERM again: killing every runner process now/);
  await eventually(() => pids.every((p) => !isAlive(p)), 5000, "the runner's processes killed");
  // Its sessions' temp dir went with them.
  assertEquals(await pathExists(runtimeDir), false, runtimeDir);
  await Deno.remove(proc.dataDir, { recursive: true });
});
