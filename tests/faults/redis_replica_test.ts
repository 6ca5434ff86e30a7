/**
 * `redis_wait_replicas`: a job's creation is answered once a replica has it
 * (Redis `WAIT`), so that losing the master right after loses no
 * acknowledged job; a replica that cannot keep up makes creation fail with
 * -32003 saying so, instead of an acknowledgement that may not survive.
 */

import { assert, assertEquals, assertMatch, eventually } from "../_helpers/assert.ts";
import { TestRedis } from "../_helpers/redis_server.ts";
import { startSupervisor } from "../_helpers/supervisor.ts";

Deno.test("redis_wait_replicas: acknowledged jobs are on the replica when the master dies", async () => {
  const master = await TestRedis.start();
  const replica = await TestRedis.start({ replicaOf: master.port });
  try {
    // The replica has caught up with the (empty) master before the test begins.
    await replica.synced();
    await using s = await startSupervisor({
      redis_url: master.url,
      redis_wait_replicas: 1,
      redis_wait_timeout: 2,
      runners: [{ name: "noop", kind: "noop" }],
    });
    const acked: string[] = [];
    for (let batch = 0; batch < 5; batch++) {
      acked.push(
        ...await s.user.call<string[]>("jobs.create_many", {
          jobs: Array.from({ length: 40 }, () => ({ runner: "noop", payload: "x" })),
        }),
      );
      acked.push(
        await s.user.call<string>("jobs.create", { job: { runner: "noop", payload: "x" } }),
      );
    }
    // The master dies right after the last acknowledgement; the replica takes over.
    await master.kill();
    await replica.cli("REPLICAOF", "NO", "ONE");
    const missing: string[] = [];
    for (const id of acked) {
      if (await replica.cli("EXISTS", `hero:job:${id}`) !== "1") missing.push(id);
    }
    assertEquals(missing, [], `${missing.length} of ${acked.length} acknowledged jobs lost`);
    assertEquals(acked.length, 205);
    // A master again on its port (empty), so that the supervisor reconnects and stops cleanly.
    await master.restart();
    await eventually(
      async () => (await fetch(`${s.url}/health`).then((r) => r.text().then(() => r.ok))),
      10_000,
      "reconnected",
    );
  } finally {
    await master.stop();
    await replica.stop();
  }
});

Deno.test("redis_wait_replicas: a replica that does not answer makes creation fail, saying so", async () => {
  const master = await TestRedis.start();
  const replica = await TestRedis.start({ replicaOf: master.port });
  try {
    await replica.synced();
    await using s = await startSupervisor({
      redis_url: master.url,
      redis_wait_replicas: 1,
      redis_wait_timeout: 0.3,
      runners: [{ name: "noop", kind: "noop" }],
    });
    assert(await s.user.call<string>("jobs.create", { job: { runner: "noop", payload: "x" } }));
    replica.signal("SIGSTOP");
    try {
      const refused = await s.user.error("jobs.create", {
        job: { id: "unsure", runner: "noop", payload: "x" },
      });
      assertEquals(refused.code, -32003);
      assertMatch(refused.message, /on 0 of the 1 replicas asked for .* not acknowledged/);
    } finally {
      replica.signal("SIGCONT");
    }
    assert(await s.user.call<string>("jobs.create", { job: { runner: "noop", payload: "x" } }));
  } finally {
    await master.stop();
    await replica.stop();
  }
});
