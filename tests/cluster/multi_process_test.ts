/**
 * The cluster as separate processes: three supervisors and two remote
 * runner agents on one Redis. A runner registered on one supervisor runs on
 * all; a job for the agents' runner goes in through another; a third
 * controls the agents' runner. Then, under load, one agent and one
 * supervisor are killed with SIGKILL: every acknowledged job still
 * completes (the dead members' leases run out and the others retry their
 * jobs), none is lost, none stays stuck.
 */

import type { ClusterMember, Job } from "../../shared/types.generated.ts";
import { assert, assertEquals, eventually } from "../_helpers/assert.ts";
import { TestRedis } from "../_helpers/redis_server.ts";
import { SupervisorProcess } from "../_helpers/supervisor.ts";

function startAgent(redisUrl: string): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("../../server/agent/main.ts", import.meta.url).pathname,
      "--redis",
      redisUrl,
      "--name",
      "remote",
      "--instances",
      "2",
      "--lease",
      "2",
    ],
    stdout: "null",
    stderr: "null",
  }).spawn();
}

Deno.test("3 supervisors and 2 agents: registered anywhere, run anywhere, kill -9 loses nothing", async (t) => {
  const redis = await TestRedis.start();
  const toml = `redis_url = "${redis.url}"\nlease = 2\n` +
    `[[runners]]\nname = "local"\nkind = "noop"\n`;
  const sups = await Promise.all([1, 2, 3].map(() => SupervisorProcess.start(toml)));
  const agents = [startAgent(redis.url), startAgent(redis.url)];
  const [s1, s2, s3] = sups;
  try {
    await t.step("every member sees the others", async () => {
      await eventually(
        async () => {
          const members = await s1.admin.call<ClusterMember[]>("cluster.members", {});
          return members.filter((m) => m.state === "up").length === 5;
        },
        30_000,
        "5 members up",
      );
    });

    await t.step("registered on one, it runs on the others", async () => {
      await s1.admin.call("register_runner", { runner: { name: "everywhere", kind: "noop" } });
      for (const s of [s2, s3]) {
        await eventually(
          async () => (await s.admin.call<string[]>("list_runners", {})).includes("everywhere"),
          10_000,
          "followed",
        );
      }
      const result = await s3.admin.call("job.run", {
        job: { runner: "everywhere", payload: "x" },
      });
      assertEquals(result, { success: null });
    });

    await t.step("a job for the agents' runner through one, control from another", async () => {
      const result = await s2.admin.call("job.run", {
        job: { runner: "remote", payload: "export default () => 'from an agent';" },
      });
      assertEquals(result, { success: "from an agent" });
      await s3.admin.call("scale_runner", { name: "remote", instances: 3 });
      const logs = await s3.admin.call<string[]>("get_runner_logs", { name: "remote" });
      assertEquals(logs.filter((l) => l.endsWith("scaled from 2 to 3 instances")).length, 2);
    });

    await t.step(
      "kill -9 of an agent and of a supervisor under load: every acknowledged job ends",
      async () => {
        const acked: string[] = [];
        const load = async (s: SupervisorProcess, n: number) => {
          for (let i = 0; i < n; i++) {
            acked.push(
              await s.admin.call<string>("queue_job_to_runner", {
                runner: "remote",
                // A job whose member dies is retried (per `retries`) by the living.
                job: {
                  payload: "await new Promise((r) => setTimeout(r, 50)); export default 1;",
                  retries: 2,
                },
              }),
            );
          }
        };
        await Promise.all([load(s1, 30), load(s2, 30)]);
        agents[0].kill("SIGKILL");
        await agents[0].status;
        await s3.kill();
        await Promise.all([load(s1, 20), load(s2, 20)]);
        let summary = "";
        const jobs = await eventually(
          async () => {
            const all = await Promise.all(
              acked.map((id) => s1.admin.call<Job>("job.get", { job_id: id })),
            );
            const counts: Record<string, number> = {};
            for (const j of all) counts[j.status] = (counts[j.status] ?? 0) + 1;
            summary = JSON.stringify(counts) + " " +
              JSON.stringify(all.filter((j) => j.status !== "completed").slice(0, 2));
            return all.every((j) => j.status === "completed") ? all : null;
          },
          60_000,
          "every acknowledged job completed",
        ).catch((error) => {
          throw new Error(`${(error as Error).message}: ${summary}`);
        });
        assertEquals(jobs.length, 100);
        // The dead members are marked gone in time; the living stay up.
        const members = await s1.admin.call<ClusterMember[]>("cluster.members", {});
        assert(members.filter((m) => m.state === "up").length >= 3);
        console.log(
          `multi-process cluster: ${acked.length} acknowledged, ${jobs.length} completed, 0 lost, ` +
            `after SIGKILL of 1 agent and 1 supervisor`,
        );
      },
    );
  } finally {
    for (const agent of agents) {
      try {
        agent.kill("SIGTERM");
      } catch {
        // gone
      }
      await agent.status;
    }
    for (const s of sups) {
      await s.kill().catch(() => {});
      await Deno.remove(s.dataDir, { recursive: true }).catch(() => {});
    }
    await redis.stop();
  }
});
