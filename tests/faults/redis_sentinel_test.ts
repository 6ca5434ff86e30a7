/**
 * Redis Sentinel: the supervisor follows the master Sentinel names. The
 * master is killed under load: calls fail with -32003 while no master
 * answers, then the cluster carries on with the promoted replica; with
 * `redis_wait_replicas = 1`, not one acknowledged job is lost, and every one
 * of them runs to its end.
 */

import type { Job } from "../../shared/types.generated.ts";
import { assertEquals, eventually } from "../_helpers/assert.ts";
import { TestRedis, TestSentinel } from "../_helpers/redis_server.ts";
import { startSupervisor } from "../_helpers/supervisor.ts";

Deno.test("a Sentinel failover under load: the cluster carries on, no acknowledged job lost", async () => {
  const master = await TestRedis.start();
  const replica = await TestRedis.start({ replicaOf: master.port });
  await replica.synced();
  const sentinel = await TestSentinel.start(master.port);
  try {
    await using s = await startSupervisor({
      redis_url: sentinel.url,
      redis_wait_replicas: 1,
      redis_wait_timeout: 0.5,
      runners: [{ name: "noop", kind: "noop", instances: 4 }],
    });
    const acked: string[] = [];
    let refused = 0;
    const enqueue = async () => {
      try {
        acked.push(
          await s.admin.call<string>("queue_job_to_runner", {
            runner: "noop",
            job: { payload: "x" },
          }),
        );
      } catch (error) {
        const code = (error as { code?: number }).code;
        assertEquals(code, -32003, String(error));
        refused++;
      }
    };
    while (acked.length < 50) await enqueue();
    // The master dies mid-load; Sentinel promotes the replica.
    await master.kill();
    const before = acked.length;
    await eventually(async () => (await sentinel.master()) === replica.port, 30_000, "promoted");
    await eventually(
      async () => (await replica.cli("INFO", "replication")).includes("role:master"),
      10_000,
      "the replica is master",
    );
    // With no replica to confirm them (WAIT 1), calls are refused, never acknowledged.
    const ackedAlone = acked.length;
    const refusedBefore = refused;
    for (let i = 0; i < 3; i++) await enqueue();
    assertEquals(
      [acked.length, refused - refusedBefore],
      [ackedAlone, 3],
      "refused without a replica",
    );
    // The old master comes back as a replica of the new one, as an operator brings it back (an
    // empty server restarted as a master could make the others resync from it: Redis's own
    // warning for masters without persistence), so that WAIT can be met again. Sentinel may not
    // promote it until it has its first sync (replica-priority 0 until then): a busy machine can
    // starve the new master past Sentinel's 1 s, and a second failover onto a replica still
    // syncing made the others resync from its empty data (seen: two switch-masters in
    // Sentinel's log, the first 50 acknowledged jobs gone).
    await master.restart(replica.port, ["--replica-priority", "0"]);
    await master.synced();
    await master.cli("CONFIG", "SET", "replica-priority", "100");
    await eventually(
      async () => {
        await enqueue();
        return acked.length >= before + 50;
      },
      60_000,
      "50 more acknowledged after the failover",
    );
    // Every acknowledged job is there and ends: none lost, none stuck.
    const ends = await eventually(
      async () => {
        const jobs = await Promise.all(
          acked.map((id) => s.admin.call<Job>("job.get", { job_id: id }).catch(() => null)),
        );
        const lost = jobs.filter((j) => j === null).length;
        assertEquals(lost, 0, `${lost} of ${acked.length} acknowledged jobs lost`);
        return jobs.every((j) => j!.status === "completed") ? jobs : null;
      },
      30_000,
      "every acknowledged job completed",
    );
    assertEquals(ends.length, acked.length);
    console.log(
      `Sentinel failover: ${acked.length} acknowledged, 0 lost, all completed; ` +
        `${refused} refused with -32003 while no master (or no replica) answered`,
    );
  } finally {
    await sentinel.stop();
    await master.stop();
    await replica.stop();
  }
});
