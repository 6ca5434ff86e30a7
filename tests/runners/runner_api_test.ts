/**
 * The runners API with real processes: registration (validated like the
 * config), an external program as a process runner (a Node script speaking
 * the runner protocol), and start, stop, restart, remove, status and logs,
 * checked against the OS.
 */

import type { AllStatus, Job, LogPage, RunnerStatus } from "../../shared/types.generated.ts";
import { assert, assertEquals, assertMatch, eventually } from "../_helpers/assert.ts";
import { isAlive } from "../_helpers/processes.ts";
import { RpcCaller } from "../_helpers/rpc.ts";
import { SECRETS, startSupervisor, SupervisorProcess } from "../_helpers/supervisor.ts";
import { echoRunner } from "../_helpers/echo_runner.ts";

const echo = (name = "echo", extra = {}) => echoRunner(name, {}, { instances: 2, ...extra });

Deno.test("register_runner validates like the config, with clear errors", async () => {
  await using s = await startSupervisor();
  const register = new RpcCaller(s.url, SECRETS.register);
  const bad: [unknown, number, string][] = [
    [
      { name: "x", kind: "docker" },
      -32602,
      'runner.kind: expected one of "script", "process", "service", "noop", got "docker"',
    ],
    [{ name: "x", kind: "process" }, -32602, 'runner.binary_path: required when kind = "process"'],
    [{ name: "x", instances: 0 }, -32602, "runner.instances: expected an integer 1-256, got 0"],
    [
      { name: "bad name" },
      -32602,
      'runner.name: expected a runner name (1-64 letters, digits or _ . -), got "bad name"',
    ],
    [{ name: "x", depends_on: ["ghost"] }, -32602, 'runner.depends_on: no runner is named "ghost"'],
    [
      { name: "x", kind: "noop", permissions: { read: true } },
      -32602,
      'runner.permissions: only a script runner takes permissions (kind is "noop")',
    ],
    [{ name: "default" }, -32009, 'a runner named "default" already exists'],
  ];
  for (const [runner, code, message] of bad) {
    const error = await register.error("register_runner", { runner });
    assertEquals([error.code, error.message], [code, message], JSON.stringify(runner));
  }
  // A register secret may register, and do nothing else.
  assertEquals((await register.error("list_runners")).code, -32002);
});

Deno.test("a process runner: an external program fed jobs through the runner protocol", async (t) => {
  await using s = await startSupervisor();
  const status = (name = "echo") => s.admin.call<RunnerStatus>("get_runner_status", { name });

  await t.step("registered, it starts and becomes ready", async () => {
    const registered = await s.admin.call<RunnerStatus>("register_runner", { runner: echo() });
    assertEquals([registered.name, registered.kind], ["echo", "process"]);
    const ready = await eventually(async () => {
      const st = await status();
      return st.state === "running" && st.pids.length === 2 ? st : null;
    });
    for (const pid of ready.pids) assert(isAlive(pid), `pid ${pid} runs`);
    assertEquals(ready.health, "healthy");
  });

  await t.step("jobs run on it: result, error, log lines", async () => {
    assertEquals(
      await s.user.call("job.run", {
        job: { runner: "echo", payload: JSON.stringify({ print: ["a", "b"], result: 42 }) },
      }),
      { success: 42 },
    );
    assertEquals(
      await s.user.call("job.run", {
        job: { runner: "echo", payload: JSON.stringify({ error: "nope" }) },
      }),
      { error: "nope" },
    );
    const id = await s.user.call<string>("jobs.create", {
      job: { runner: "echo", payload: JSON.stringify({ print: ["x", "y", "z"] }) },
    });
    await s.user.call("job.start", { job_id: id });
    await s.user.call("job.result", { job_id: id });
    const logs = await s.user.call<LogPage>("job.logs", { job_id: id });
    assertEquals(logs.lines.map((l) => l.line), ["x", "y", "z"]);
  });

  await t.step("its own output is the runner's log", async () => {
    // Each instance says it started; the runner may be ready before both lines are read.
    const started = (lines: string[], i: number) =>
      lines.some((l) =>
        new RegExp(`\\[echo#${i} stdout\\] echo runner echo#${i} started \\(pid \\d+\\)`).test(l)
      );
    await eventually(async () => {
      const lines = await s.admin.call<string[]>("get_runner_logs", { name: "echo", lines: 50 });
      return started(lines, 0) && started(lines, 1) ? lines : null;
    });
  });

  await t.step(
    "a crash mid-job: the job is lost and retried per its retries, the process restarted",
    async () => {
      const before = await status();
      const result = await s.user.call<{ error: string }>("job.run", {
        job: { runner: "echo", payload: JSON.stringify({ exit: 3 }) },
      });
      assertMatch(result.error, /^the runner process exited with code 3 while running the job$/);
      const after = await eventually(async () => {
        const st = await status();
        return st.restarts > before.restarts && st.pids.length === 2 ? st : null;
      }, 10_000);
      assertEquals(after.last_exit?.code, 3);
    },
  );

  await t.step(
    "stop kills its processes; start brings them back; restart replaces them",
    async () => {
      const running = await status();
      const stopped = await s.admin.call<RunnerStatus>("stop_runner", { name: "echo" });
      assertEquals([stopped.state, stopped.pids], ["stopped", []]);
      for (const pid of running.pids) {
        await eventually(
          () => !isAlive(pid),
          5000,
          `pid ${pid} gone`,
        );
      }
      await s.admin.call("start_runner", { name: "echo" });
      const started = await eventually(async () => {
        const st = await status();
        return st.state === "running" && st.pids.length === 2 ? st : null;
      });
      await s.admin.call("restart_runner", { name: "echo" });
      const restarted = await eventually(async () => {
        const st = await status();
        return st.state === "running" && st.pids.length === 2 &&
            st.pids.every((p) => !started.pids.includes(p))
          ? st
          : null;
      });
      for (const pid of started.pids) assert(!isAlive(pid));
      assert(restarted.pids.every(isAlive));
    },
  );

  await t.step("list, all statuses, get_all_status", async () => {
    assertEquals(await s.admin.call("list_runners"), ["default", "echo"]);
    const all = await s.admin.call<RunnerStatus[]>("get_all_runner_status");
    assertEquals(all.map((r) => r.name), ["default", "echo"]);
    const summary = await s.admin.call<AllStatus>("get_all_status");
    assert(summary.jobs.completed >= 2 && summary.jobs.failed >= 1, JSON.stringify(summary.jobs));
  });

  await t.step("stop_all, then start_all", async () => {
    const pids = (await status()).pids;
    assertEquals(await s.admin.call("stop_all"), null);
    const all = await s.admin.call<RunnerStatus[]>("get_all_runner_status");
    assertEquals(all.map((r) => r.state), ["stopped", "stopped"]);
    for (const pid of pids) await eventually(() => !isAlive(pid), 5000);
    assertEquals(await s.admin.call("start_all"), null);
    await eventually(async () => (await status()).state === "running");
  });

  await t.step("remove: stopped and forgotten", async () => {
    const pids = (await status()).pids;
    assertEquals(await s.admin.call("remove_runner", { name: "echo" }), null);
    assertEquals(await s.admin.call("list_runners"), ["default"]);
    assertEquals((await s.admin.error("get_runner_status", { name: "echo" })).code, -32004);
    for (const pid of pids) await eventually(() => !isAlive(pid), 5000);
  });
});

Deno.test("a registered runner is kept across a restart of the supervisor", async () => {
  const first = await SupervisorProcess.start('[[runners]]\nname = "default"\nkind = "noop"\n');
  await first.admin.call("register_runner", {
    runner: { name: "kept", kind: "noop", instances: 3 },
  });
  first.signal("SIGTERM");
  await first.exited();
  const second = await SupervisorProcess.start(
    '[[runners]]\nname = "default"\nkind = "noop"\n',
    first.dataDir,
  );
  try {
    const kept = await eventually(async () => {
      const st = await second.admin.call<RunnerStatus>("get_runner_status", { name: "kept" });
      return st.state === "running" ? st : null;
    });
    assertEquals(kept.instances, 3);
    const ran = await second.admin.call<{ success: null }>("job.run", {
      job: { runner: "kept", payload: "" },
    });
    assertEquals(ran, { success: null });
    await second.admin.call("remove_runner", { name: "kept" });
  } finally {
    second.signal("SIGTERM");
    await second.exited();
    await Deno.remove(first.dataDir, { recursive: true });
  }
});

Deno.test("a job queued to a runner that was removed fails, saying so", async () => {
  await using s = await startSupervisor();
  await s.admin.call("register_runner", { runner: { name: "gone", kind: "noop" } });
  await s.admin.call("stop_runner", { name: "gone" });
  const id = await s.admin.call<string>("queue_job_to_runner", {
    runner: "gone",
    job: { payload: "" },
  });
  const created = await s.admin.call<string>("jobs.create", {
    job: { runner: "gone", payload: "" },
  });
  await s.admin.call("remove_runner", { name: "gone" });
  for (const jobId of [id, created]) {
    const job = await s.user.call<Job>("job.get", { job_id: jobId });
    assertEquals([job.status, job.error], ["failed", 'runner "gone" was removed']);
  }
  // Nothing is left waiting for a runner that will not come back.
  const queued = await s.admin.call<Job[]>("jobs.list", { status: "queued" });
  assertEquals(queued.length, 0);
});
