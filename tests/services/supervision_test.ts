/**
 * The supervision tree around runners: a process runner that never becomes
 * ready is a failure (restarted, then quarantined), a job's timeout is not;
 * a removed runner's waiting jobs fail; `add_runner` is `register_runner`;
 * `shutdown` stops the tree and the supervisor exits 0; a supervisor killed
 * outright takes its services with it.
 */

import type { Event, Job, RunnerStatus } from "../../shared/types.generated.ts";
import { assert, assertEquals, eventually } from "../_helpers/assert.ts";
import { echoRunner } from "../_helpers/echo_runner.ts";
import { isAlive } from "../_helpers/processes.ts";
import { startSupervisor, SupervisorProcess } from "../_helpers/supervisor.ts";

Deno.test("a process runner that says ready but answers no ping is restarted, then quarantined", async () => {
  await using s = await startSupervisor({
    runners: [{
      name: "half",
      kind: "process",
      binary_path: "/bin/sh",
      // Ready, then it reads its stdin and answers nothing.
      args: ["-c", `echo '@hero {"type":"ready"}'; exec cat > /dev/null`],
      ping_timeout: 0.3,
      max_restarts: 2,
      restart_window: 60,
      restart_delay: 0.05,
      restart_delay_max: 0.05,
    }],
  });
  const st = await eventually(
    async () => {
      const st = await s.admin.call<RunnerStatus>("get_runner_status", { name: "half" });
      return st.state === "quarantined" ? st : null;
    },
    15_000,
    "quarantined",
  );
  assert(/not ready: /.test(st.last_failure?.reason ?? ""), JSON.stringify(st.last_failure));
  const types = await eventually(
    async () => {
      const page = await s.admin.call<{ events: Event[] }>("events.list", {
        subject: "half",
        limit: 100,
      });
      const types = page.events.map((e) => e.type);
      return types.includes("runner.quarantined") ? types : null;
    },
    5000,
    "events",
  );
  assertEquals(types.filter((t) => t === "runner.start_failed").length, 3, types.join());
});

Deno.test("job timeouts on a process runner are the jobs' outcomes, not the runner's crashes", async () => {
  await using s = await startSupervisor({
    runners: [echoRunner("echo", {}, { stop_grace: 0.1, max_restarts: 2 })],
  });
  await s.sup.runners.get("echo").whenReady();
  // Each hangs and ignores the stop: its process is killed and replaced, six times.
  for (let i = 0; i < 6; i++) {
    const result = await s.user.call("job.run", {
      job: { runner: "echo", payload: JSON.stringify({ hang: true }), timeout: 0.2 },
    });
    assertEquals(result, { error: "timed out after 0.2 s" });
  }
  const st = await s.admin.call<RunnerStatus>("get_runner_status", { name: "echo" });
  assertEquals([st.state, st.restarts], ["running", 0]);
  assertEquals(
    await s.user.call("job.run", {
      job: { runner: "echo", payload: JSON.stringify({ result: "still here" }) },
    }),
    { success: "still here" },
  );
});

Deno.test("a removed runner's waiting jobs fail, saying so; add_runner registers as register_runner does", async () => {
  await using s = await startSupervisor({ runners: [] });
  const added = await s.admin.call<RunnerStatus>("add_runner", {
    runner: { name: "temp", kind: "script" },
  });
  assertEquals(added.name, "temp");
  await s.sup.runners.get("temp").whenReady();
  await s.admin.call("pause_runner", { name: "temp" });
  const queued = [];
  for (let i = 0; i < 3; i++) {
    queued.push(
      await s.admin.call<string>("queue_job_to_runner", {
        runner: "temp",
        job: { payload: "export default 1" },
      }),
    );
  }
  const created = await s.user.call<string>("jobs.create", {
    job: { runner: "temp", payload: "export default 1" },
  });
  await s.admin.call("remove_runner", { name: "temp" });
  for (const id of [...queued, created]) {
    const job = await s.user.call<Job>("job.get", { job_id: id });
    assertEquals([job.status, job.error], ["failed", 'runner "temp" was removed']);
  }
});

Deno.test("shutdown stops the tree, records who asked, and the supervisor exits 0", async () => {
  const sup = await SupervisorProcess.start(
    `[[runners]]\nname = "base"\nkind = "service"\nbinary_path = "/bin/sleep"\nargs = ["600"]\n` +
      `[[runners]]\nname = "top"\nkind = "service"\nbinary_path = "/bin/sleep"\n` +
      `args = ["600"]\ndepends_on = ["base"]\n`,
  );
  try {
    const pids = await eventually(
      async () => {
        const all = await sup.admin.call<RunnerStatus[]>("get_all_runner_status", {});
        return all.every((r) => r.state === "running") ? all.flatMap((r) => r.pids) : null;
      },
      10_000,
      "both up",
    );
    assertEquals(
      await sup.admin.call("shutdown", { requested_by: "ops", reason: "host maintenance" }),
      null,
    );
    const { status } = await sup.exited();
    assertEquals(status.code, 0);
    assert(!pids.some(isAlive), "every service process is gone");
    // The store kept the record: read it with a new supervisor on the same data dir.
    const again = await SupervisorProcess.start("", sup.dataDir);
    try {
      const page = await again.admin.call<{ events: Event[] }>("events.list", { limit: 1000 });
      const stopping = page.events.find((e) => e.type === "supervisor.stopping");
      assertEquals([stopping?.requested_by, stopping?.reason], ["ops", "host maintenance"]);
      const stops = page.events.filter((e) => e.type === "runner.stopped").map((e) => e.subject);
      assertEquals(stops, ["top", "base"], "dependants first");
    } finally {
      await again.kill();
    }
  } finally {
    await sup.kill().catch(() => {});
    await Deno.remove(sup.dataDir, { recursive: true }).catch(() => {});
  }
});

Deno.test("a supervisor killed with SIGKILL takes its services with it (no OS sandbox)", async () => {
  // Nothing else tells a service that its supervisor is gone: it must die with it, or a
  // restarted supervisor would start a second copy beside it.
  const sup = await SupervisorProcess.start(
    `sandbox = "off"\n[[runners]]\nname = "lone"\nkind = "service"\nbinary_path = "/bin/sleep"\n` +
      `args = ["600"]\n`,
  );
  let pid = 0;
  try {
    pid = await eventually(
      async () => {
        const st = await sup.admin.call<RunnerStatus>("get_runner_status", { name: "lone" });
        const [first] = st.pids;
        // Running the program itself (whatever started it has handed over to it).
        const cmd = first ? await Deno.readTextFile(`/proc/${first}/cmdline`).catch(() => "") : "";
        return cmd.startsWith("/bin/sleep\0") ? first : null;
      },
      10_000,
      "the service up",
    );
    await sup.kill();
    await eventually(() => !isAlive(pid), 10_000, `service ${pid} still running`);
  } finally {
    if (pid && isAlive(pid)) Deno.kill(pid, "SIGKILL");
    await Deno.remove(sup.dataDir, { recursive: true }).catch(() => {});
  }
});
