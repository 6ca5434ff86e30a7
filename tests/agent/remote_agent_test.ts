/**
 * The remote runner agent (`deno task runner`) in a second process, against
 * the test's own Redis: it takes its runner's jobs, runs them sandboxed, and
 * its log lines reach the supervisor's SSE readers; a stop reaches it; when
 * it leaves, the supervisor says the runner has no live instance.
 */

import type { JobStatusInfo, LogLine, RunnerStatus } from "../../shared/types.generated.ts";
import { assert, assertEquals, eventually } from "../_helpers/assert.ts";
import { ancestryBelow, findProcesses, isAlive } from "../_helpers/processes.ts";
import { TestRedis } from "../_helpers/redis_server.ts";
import { openSse } from "../_helpers/sse.ts";
import { SECRETS, startSupervisor } from "../_helpers/supervisor.ts";

Deno.test("a remote runner agent serves a runner through a shared Redis", async (t) => {
  const redis = await TestRedis.start();
  const s = await startSupervisor({ redis_url: redis.url });
  const agent = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("../../server/agent/main.ts", import.meta.url).pathname,
      "--redis",
      redis.url,
      "--name",
      "remote",
      "--instances",
      "2",
      "--allow-run=sleep",
    ],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const output = agent.output();
  try {
    await t.step("the supervisor sees the runner and its agent", async () => {
      const status = await eventually(
        async () => {
          const st = await s.admin.call<RunnerStatus>("get_runner_status", { name: "remote" })
            .catch(() => null);
          return st?.remote_agents === 1 ? st : null;
        },
        20_000,
        "the agent to announce itself",
      );
      assertEquals([status.state, status.kind], ["remote", "script"]);
      assert((await s.admin.call<string[]>("list_runners")).includes("remote"));
    });

    await t.step("its jobs run there; their lines stream to the supervisor's SSE", async () => {
      const id = await s.user.call<string>("jobs.create", {
        job: {
          runner: "remote",
          payload:
            "for (let i = 1; i <= 5; i++) { console.log('remote ' + i); await new Promise((r) => setTimeout(r, 60)); }\nexport default () => Deno.pid;",
        },
      });
      const sse = await openSse(`${s.url}/jobs/${id}/logs`, SECRETS.user);
      await s.user.call("job.start", { job_id: id });
      await sse.done;
      const lines = sse.events.filter((e) => e.event === "message").map((e) =>
        (JSON.parse(e.data) as LogLine).line
      );
      assertEquals(lines, ["remote 1", "remote 2", "remote 3", "remote 4", "remote 5"]);
      assertEquals(sse.events.at(-1)!.event, "end");
      const result = await s.user.call<{ success: number }>("job.result", { job_id: id });
      assert(result.success !== Deno.pid, "it ran in another process");
      assertEquals(
        (await s.user.call<{ success: number }>("job.run", {
          job: { runner: "remote", payload: "export default 6 * 7;" },
        })).success,
        42,
      );
    });

    await t.step("job.stop reaches the agent, which kills the job's processes", async () => {
      const sleep = `300.${Date.now()}`;
      const id = await s.user.call<string>("jobs.create", {
        job: {
          runner: "remote",
          payload: `new Deno.Command("sleep", { args: ["${sleep}"] }).spawn();
            await new Promise(() => setInterval(() => {}, 1000));`,
        },
      });
      await s.user.call("job.start", { job_id: id });
      // The sleep and, above it, the session that runs the job, up to the agent: seen by the OS.
      const pids = await eventually(() => {
        const [found] = findProcesses(`sleep ${sleep}`);
        return found ? ancestryBelow(found, agent.pid) : null;
      });
      assert(pids.length >= 2 && pids.every(isAlive), `the sleep and its session: ${pids}`);
      await s.user.call("job.stop", { job_id: id });
      await eventually(() => pids.every((p) => !isAlive(p)), 10_000, "the job's processes gone");
    });

    await t.step("the supervisor controls the agent's runner: scale, logs, members", async () => {
      await s.admin.call("scale_runner", { name: "remote", instances: 3, requested_by: "ops" });
      const logs = await s.admin.call<string[]>("get_runner_logs", { name: "remote" });
      assert(logs.some((l) => l.endsWith("scaled from 2 to 3 instances")), logs.join("\n"));
      const members = await s.admin.call<{ role: string; runners: string[]; state: string }[]>(
        "cluster.members",
        {},
      );
      const agents = members.filter((m) => m.role === "agent");
      assertEquals(agents.map((m) => [m.runners, m.state]), [[["remote"], "up"]]);
    });

    await t.step("when the agent leaves, queued jobs say no instance is live", async () => {
      agent.kill("SIGTERM");
      const { code } = await output;
      assertEquals(code, 0);
      await eventually(async () =>
        (await s.admin.call<RunnerStatus>("get_runner_status", { name: "remote" }))
          .remote_agents === 0
      );
      const id = await s.user.call<string>("jobs.create", {
        job: { runner: "remote", payload: "export default 1;" },
      });
      await s.user.call("job.start", { job_id: id });
      const st = await s.user.call<JobStatusInfo>("job.status", { job_id: id });
      assertEquals([st.status, st.runner_live], ["queued", false]);
    });
  } finally {
    try {
      agent.kill("SIGKILL");
    } catch {
      // already gone
    }
    await output;
    await s.close();
    await redis.stop();
  }
});
