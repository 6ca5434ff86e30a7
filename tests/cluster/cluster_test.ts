/**
 * Supervisors sharing one Redis act as one cluster: each lists every member
 * (`cluster.members`), a job for a runner that only another supervisor has
 * can be submitted through any of them, a runner registered or removed on
 * one is followed by the others within moments (a `runners.changed` notice,
 * and each heartbeat catches up), a member that stops cleanly leaves the
 * list and one that is killed is marked gone.
 */

import type { ClusterMember, RunnerStatus } from "../../shared/types.generated.ts";
import { assert, assertEquals, assertMatch, eventually } from "../_helpers/assert.ts";
import { TestRedis } from "../_helpers/redis_server.ts";
import { startSupervisor, SupervisorProcess } from "../_helpers/supervisor.ts";

Deno.test("two supervisors on one Redis: members, jobs through either, runners followed", async (t) => {
  const redis = await TestRedis.start();
  try {
    await using a = await startSupervisor({
      redis_url: redis.url,
      runners: [{ name: "only-on-a", kind: "script", instances: 1 }],
    });
    await using b = await startSupervisor({ redis_url: redis.url, runners: [] });

    await t.step("each lists both members, itself marked", async () => {
      for (const [who, caller] of [["a", a], ["b", b]] as const) {
        const members = await caller.admin.call<ClusterMember[]>("cluster.members", {});
        const supervisors = members.filter((m) => m.role === "supervisor");
        assertEquals(supervisors.length, 2, `${who}: ${JSON.stringify(members)}`);
        assert(supervisors.every((m) => m.state === "up" && m.pid === Deno.pid));
        const self = supervisors.find((m) => m.self)!;
        assertEquals(self.url, caller.url, who);
      }
      const members = await b.admin.call<ClusterMember[]>("cluster.members", {});
      const onA = members.find((m) => m.url === a.url)!;
      assertEquals(onA.runners, ["only-on-a"]);
      assertEquals(onA.load.instances, 1);
    });

    await t.step(
      "a job for a runner only the other supervisor has runs through either",
      async () => {
        const st = await b.admin.call<RunnerStatus>("get_runner_status", { name: "only-on-a" });
        assertEquals([st.state, st.remote_agents], ["remote", 1]);
        const result = await b.user.call("job.run", {
          job: { runner: "only-on-a", payload: "export default () => 6 * 7;" },
        });
        assertEquals(result, { success: 42 }, "it ran in a session of a's");
        const local = await a.admin.call<RunnerStatus>("get_runner_status", { name: "only-on-a" });
        assertEquals(local.remote_agents, 0, "a is not its own remote member");
      },
    );

    await t.step(
      "a runner registered on one runs on the other too; removed on the other, it goes from both",
      async () => {
        await a.admin.call("register_runner", { runner: { name: "shared", kind: "noop" } });
        const onB = await eventually(
          async () => {
            const st = await b.admin.call<RunnerStatus>("get_runner_status", { name: "shared" })
              .catch(() => null);
            return st?.state === "running" ? st : null;
          },
          5000,
          "b runs it",
        );
        assertEquals(onB.kind, "noop");
        await b.admin.call("remove_runner", { name: "shared" });
        await eventually(
          async () => !(await a.admin.call<string[]>("list_runners", {})).includes("shared"),
          5000,
          "removed on a too",
        );
        // Events are written in batches: wait for it.
        await eventually(
          async () => {
            const page = await a.admin.call<
              { events: { type: string; subject: string; requested_by?: string }[] }
            >("events.list", {});
            return page.events.some((e) =>
              e.type === "runner.removed" && e.subject === "shared" &&
              e.requested_by === "cluster"
            );
          },
          5000,
          "a's event says the cluster asked",
        );
      },
    );

    await t.step("the other supervisor's runner is controlled through this one", async () => {
      const paused = await b.admin.call<RunnerStatus>("pause_runner", {
        name: "only-on-a",
        requested_by: "ops",
      });
      assertEquals(paused.state, "remote", "b has no instance of it: a carried it out");
      const onA = await a.admin.call<RunnerStatus>("get_runner_status", { name: "only-on-a" });
      assertEquals(onA.state, "paused");
      await b.admin.call("scale_runner", { name: "only-on-a", instances: 3 });
      assertEquals(
        (await a.admin.call<RunnerStatus>("get_runner_status", { name: "only-on-a" })).instances,
        3,
      );
      await b.admin.call("resume_runner", { name: "only-on-a" });
      assertEquals(
        (await a.admin.call<RunnerStatus>("get_runner_status", { name: "only-on-a" })).state,
        "running",
      );
      const logs = await b.admin.call<string[]>("get_runner_logs", { name: "only-on-a" });
      assertEquals(logs, await a.admin.call<string[]>("get_runner_logs", { name: "only-on-a" }));
      assert(logs.some((l) => l.includes("paused")) || logs.length > 0, logs.join("\n"));
      // a's events name a as the member that acted, and ops as who asked.
      const self = (await a.admin.call<ClusterMember[]>("cluster.members", {})).find((m) =>
        m.self
      )!;
      await eventually(
        async () => {
          const page = await a.admin.call<
            { events: { type: string; requested_by?: string; member?: string }[] }
          >("events.list", { type: "runner.paused" });
          return page.events.some((e) => e.requested_by === "ops" && e.member === self.id);
        },
        5000,
        "the pause event names the member and the caller",
      );
    });

    await t.step("a member that stops cleanly leaves the list", async () => {
      await a.close();
      const members = await b.admin.call<ClusterMember[]>("cluster.members", {});
      assertEquals(members.map((m) => m.self), [true]);
    });
  } finally {
    await redis.stop();
  }
});

Deno.test("a supervisor killed with SIGKILL is marked gone by the others", async () => {
  const redis = await TestRedis.start();
  try {
    await using b = await startSupervisor({ redis_url: redis.url });
    const victim = await SupervisorProcess.start(
      `redis_url = "${redis.url}"\n[[runners]]\nname = "victim-only"\nkind = "noop"\n`,
    );
    await eventually(
      async () => (await b.admin.call<ClusterMember[]>("cluster.members", {})).length === 2,
      10_000,
      "the second member",
    );
    const killedAt = Date.now();
    await victim.kill();
    // Its record still holds, but it cannot answer: a command says so at its deadline.
    const refused = await b.admin.call("pause_runner", { name: "victim-only" }).then(
      () => null,
      (error) => error,
    );
    assertEquals(refused?.code, -32003, String(refused));
    assertMatch(refused.message, /did not answer within 5 s/);
    // Three missed heartbeats (5 s each): the clock here is the members' own.
    const gone = await eventually(
      async () => {
        const members = await b.admin.call<ClusterMember[]>("cluster.members", {});
        return members.find((m) => !m.self && m.state === "gone") ?? null;
      },
      30_000,
      "marked gone",
    );
    assert(gone.last_seen <= killedAt, "its last heartbeat, from before the kill, is kept");
    assertEquals((await b.admin.call<ClusterMember[]>("cluster.members", {})).length, 2);
    await Deno.remove(victim.dataDir, { recursive: true });
  } finally {
    await redis.stop();
  }
});
