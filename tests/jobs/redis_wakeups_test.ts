/**
 * A runner working through a backlog on Redis does not wait for the queue's
 * marker between takes: the marker is for takers whose queue ran dry (a take
 * that leaves jobs behind sets it for them), and one that is still taking
 * would only wake itself with it, a round trip every other job. Counted in
 * Redis's own command statistics.
 */

import { assert, assertEquals } from "../_helpers/assert.ts";
import { TestRedis } from "../_helpers/redis_server.ts";
import { startSupervisor } from "../_helpers/supervisor.ts";

/** How many times Redis ran `command` since its statistics were reset. */
async function calls(redis: TestRedis, command: string): Promise<number> {
  const stats = await redis.cli("INFO", "commandstats");
  return Number(stats.match(new RegExp(`cmdstat_${command}:calls=(\\d+)`))?.[1] ?? 0);
}

Deno.test("a backlog of 400 jobs is taken without a marker wait per take", async () => {
  const redis = await TestRedis.start();
  try {
    await using s = await startSupervisor({ redis_url: redis.url });
    await s.sup.runners.get("default").whenReady();
    await redis.cli("CONFIG", "RESETSTAT");
    const batches = Array.from({ length: 8 }, () =>
      s.admin.raw(JSON.stringify(
        Array.from({ length: 50 }, (_, id) => ({
          jsonrpc: "2.0",
          id,
          method: "job.run",
          params: { job: { runner: "default", payload: "x" } },
        })),
      )));
    const replies = (await Promise.all(batches)).flatMap(({ body }) =>
      body as { result?: unknown }[]
    );
    assertEquals(replies.filter((r) => "result" in r).length, 400);
    // 4 instances take 2 jobs at a time: 200 takes, and as many marker waits before.
    const takes = await calls(redis, "evalsha");
    const waits = await calls(redis, "bzpopmin");
    assert(waits < 20, `${waits} marker waits (BZPOPMIN) for 400 jobs, ${takes} scripts run`);
    console.log(`400 jobs: ${waits} marker waits, ${takes} scripts run`);
  } finally {
    await redis.stop();
  }
});
