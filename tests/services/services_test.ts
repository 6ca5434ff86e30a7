/**
 * Services (`kind = "service"`): any program, supervised. Real programs
 * only: `sleep` and `cat` stay up; a Python HTTP server is ready once its
 * URL answers; a `test` command that starts failing restarts the service,
 * then quarantines it past the restart intensity; a oneshot completes
 * before its dependants start; jobs are refused.
 */

import type { Event, RunnerStatus } from "../../shared/types.generated.ts";
import { assert, assertEquals, assertMatch, eventually, sleep } from "../_helpers/assert.ts";
import { freePort } from "../_helpers/ports.ts";
import { isAlive } from "../_helpers/processes.ts";
import { startSupervisor, type TestSupervisor } from "../_helpers/supervisor.ts";

const status = (s: TestSupervisor, name: string) =>
  s.admin.call<RunnerStatus>("get_runner_status", { name });

async function eventTypes(s: TestSupervisor, subject: string): Promise<string[]> {
  const page = await s.admin.call<{ events: Event[] }>("events.list", { subject, limit: 1000 });
  return page.events.map((e) => e.type);
}

Deno.test("a plain program is a service: sleep and cat stay up, and stop ends them", async () => {
  await using s = await startSupervisor({
    runners: [
      { name: "sleeper", kind: "service", binary_path: "/bin/sleep", args: ["600"] },
      { name: "cat", kind: "service", binary_path: "/bin/cat", instances: 2 },
    ],
  });
  for (const name of ["sleeper", "cat"]) {
    await eventually(async () => (await status(s, name)).state === "running", 10_000, name);
  }
  const before = await status(s, "cat");
  assertEquals(before.pids.length, 2);
  // Still the same processes a while later: nothing restarted them.
  await sleep(1500);
  const after = await status(s, "cat");
  assertEquals([after.state, after.pids, after.restarts], ["running", before.pids, 0]);
  assert(after.pids.every(isAlive));
  assertEquals(after.process_manager, "simple");
  await s.admin.call("stop_runner", { name: "cat" });
  await eventually(() => !before.pids.some(isAlive), 5000, "cat gone");
  assertEquals((await status(s, "cat")).state, "stopped");
});

// Only root may switch users: elsewhere the test says it was skipped (CI runs as root).
Deno.test({
  name: "user: a service runs as the user it names (the supervisor is root here)",
  ignore: Deno.uid() !== 0,
}, async () => {
  await using s = await startSupervisor({
    runners: [{
      name: "as-nobody",
      kind: "service",
      oneshot: true,
      user: "nobody",
      binary_path: "/bin/sh",
      args: ["-c", "echo uid=$(id -u) gid=$(id -g)"],
    }],
  });
  await eventually(
    async () => (await status(s, "as-nobody")).state === "completed",
    10_000,
    "done",
  );
  const logs = await s.admin.call<string[]>("get_runner_logs", { name: "as-nobody" });
  const line = logs.find((l) => l.includes("uid="));
  assert(line?.endsWith("uid=65534 gid=65534"), logs.join("\n"));
});

Deno.test("a service takes no jobs: creating one is refused", async () => {
  await using s = await startSupervisor({
    runners: [{ name: "sleeper", kind: "service", binary_path: "/bin/sleep", args: ["600"] }],
  });
  const error = await s.user.error("jobs.create", { job: { runner: "sleeper", payload: "x" } });
  assertEquals(error, {
    code: -32602,
    message: 'job.runner: "sleeper" is a service: it takes no jobs',
  });
});

Deno.test("an HTTP server is ready once its URL answers; its dependant starts after", async () => {
  const port = freePort();
  const dir = await Deno.makeTempDir();
  await using s = await startSupervisor({
    runners: [
      {
        name: "web",
        kind: "service",
        binary_path: "python3",
        args: ["-m", "http.server", String(port), "--bind", "127.0.0.1"],
        working_dir: dir,
        check: { http: `http://127.0.0.1:${port}/`, interval: 0.5, start_period: 20 },
      },
      {
        name: "after-web",
        kind: "service",
        binary_path: "/bin/sleep",
        args: ["600"],
        depends_on: ["web"],
      },
    ],
  });
  await eventually(async () => (await status(s, "after-web")).state === "running", 20_000, "up");
  const web = await status(s, "web");
  assertEquals([web.state, web.check?.state, web.check?.failures], ["running", "passing", 0]);
  assert(web.check!.last_ok! > 0);
  const response = await fetch(`http://127.0.0.1:${port}/`);
  assertEquals(response.status, 200);
  await response.body?.cancel();
  // The dependant started once the server answered, not before.
  const order = await eventually(
    async () => {
      const all = await s.admin.call<{ events: Event[] }>("events.list", { limit: 1000 });
      const order = all.events.map((e) => `${e.type} ${e.subject}`);
      return order.includes("runner.starting after-web") ? order : null;
    },
    5000,
    "the dependant's start event",
  );
  assert(
    order.indexOf("runner.ready web") < order.indexOf("runner.starting after-web"),
    order.join("\n"),
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a test command that starts failing restarts the service, then quarantines it", async () => {
  const dir = await Deno.makeTempDir();
  const flag = `${dir}/healthy`;
  await Deno.writeTextFile(flag, "");
  await using s = await startSupervisor({
    runners: [{
      name: "flaky",
      kind: "service",
      binary_path: "/bin/sleep",
      args: ["600"],
      check: { test: `test -f ${flag}`, interval: 0.2, retries: 2, start_period: 0.5 },
      max_restarts: 2,
      restart_window: 60,
      restart_delay: 0.1,
      restart_delay_max: 0.1,
    }],
  });
  await eventually(async () => (await status(s, "flaky")).state === "running", 10_000, "up");
  const first = (await status(s, "flaky")).pids[0];
  await Deno.remove(flag);
  const quarantined = await eventually(
    async () => {
      const st = await status(s, "flaky");
      return st.state === "quarantined" ? st : null;
    },
    20_000,
    "quarantined",
  );
  assert(!isAlive(first), "the first process was stopped");
  assertMatch(quarantined.last_failure!.reason, /test "test -f .*healthy" exited with code 1/);
  assertEquals(quarantined.check?.state, "failing");
  // Events are written in batches: wait for the last one.
  const types = await eventually(
    async () => {
      const types = await eventTypes(s, "flaky");
      return types.at(-1) === "runner.quarantined" ? types : null;
    },
    5000,
    "the quarantine's event",
  );
  assert(types.includes("runner.check_failed") && types.includes("runner.unhealthy"), types.join());
  assert(types.indexOf("runner.unhealthy") < types.lastIndexOf("runner.starting"), types.join());
  assert(types.includes("runner.start_failed"), "the restarts did not become ready either");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a oneshot completes before its dependants start; a failing one holds them back", async () => {
  const dir = await Deno.makeTempDir();
  await using s = await startSupervisor({
    runners: [
      {
        name: "migrate",
        kind: "service",
        oneshot: true,
        binary_path: "/bin/sh",
        args: ["-c", `sleep 0.3; echo migrated > ${dir}/done`],
      },
      {
        name: "app",
        kind: "service",
        binary_path: "/bin/sh",
        args: ["-c", `cat ${dir}/done; exec sleep 600`],
        depends_on: ["migrate"],
      },
      {
        name: "broken-setup",
        kind: "service",
        oneshot: true,
        binary_path: "/bin/sh",
        args: ["-c", "exit 3"],
        max_restarts: 1,
        restart_delay: 0.05,
      },
      {
        name: "needs-setup",
        kind: "service",
        binary_path: "/bin/sleep",
        args: ["600"],
        depends_on: ["broken-setup"],
      },
    ],
  });
  await eventually(async () => (await status(s, "app")).state === "running", 10_000, "app up");
  const migrate = await status(s, "migrate");
  assertEquals(migrate.state, "completed", JSON.stringify(migrate));
  // Ready at once (no checks): its first line may come a moment later.
  await eventually(
    async () =>
      (await s.admin.call<string[]>("get_runner_logs", { name: "app" })).some((l) =>
        l.endsWith("migrated")
      ),
    5000,
    "the app saw the oneshot's work",
  );
  await eventually(
    async () => (await status(s, "broken-setup")).state === "quarantined",
    10_000,
    "the failing oneshot quarantined",
  );
  const needs = await status(s, "needs-setup");
  const needsLogs = await s.admin.call<string[]>("get_runner_logs", { name: "needs-setup" });
  assertEquals([needs.state, needs.pids], ["stopped", []], needsLogs.join("\n"));
  assert(
    needsLogs.some((l) => /not started: .*depends on "broken-setup"/.test(l)),
    needsLogs.join("\n"),
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a broken or slow runner does not hold up the others", async () => {
  await using s = await startSupervisor({
    runners: [
      // Never ready: it answers no ping (a 5 s start-up ping timeout).
      {
        name: "mute",
        kind: "process",
        binary_path: "/bin/cat",
        ping_timeout: 5,
      },
      { name: "later", kind: "service", binary_path: "/bin/sleep", args: ["600"] },
    ],
  });
  await eventually(async () => (await status(s, "later")).state === "running", 4000, "later up");
  assertEquals((await status(s, "mute")).state, "starting");
});
