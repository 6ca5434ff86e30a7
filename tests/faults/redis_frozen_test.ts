/**
 * A frozen Redis (SIGSTOP: the connection stays up, nothing answers, as in a
 * network partition): every call fails with -32003 within `redis_timeout`
 * instead of hanging, `/health` says 503 with the cause, and once Redis
 * thaws everything works again. (A Redis that is down is
 * `redis_outage_test.ts`.)
 */

import { assertEquals, assertMatch, eventually } from "../_helpers/assert.ts";
import { TestRedis } from "../_helpers/redis_server.ts";
import { startSupervisor } from "../_helpers/supervisor.ts";

Deno.test("a frozen Redis: -32003 instead of a hang, /health 503, and back after it thaws", async () => {
  const redis = await TestRedis.start();
  try {
    await using s = await startSupervisor({ redis_url: redis.url, redis_timeout: 1 });
    const id = await s.user.call<string>("jobs.create", {
      job: { runner: "default", payload: "x" },
    });
    redis.signal("SIGSTOP");
    try {
      // Nothing answers: each call ends with an error (a hang would time the test out).
      for (const method of ["job.status", "jobs.list", "jobs.create"]) {
        const params = method === "jobs.create"
          ? { job: { runner: "default", payload: "y" } }
          : method === "job.status"
          ? { job_id: id }
          : {};
        const error = await s.user.error(method, params);
        assertEquals(error.code, -32003, `${method}: ${error.message}`);
        assertMatch(error.message, /the store \(Redis at .*\) is unavailable/);
      }
      const health = await fetch(`${s.url}/health`);
      assertEquals(health.status, 503);
      assertEquals((await health.json()).status, "degraded");
    } finally {
      redis.signal("SIGCONT");
    }
    await eventually(
      async () => {
        const st = await s.user.call<{ status: string }>("job.status", { job_id: id }).catch(() =>
          null
        );
        return st?.status === "created";
      },
      20_000,
      "job.status answers again",
    );
    const health = await fetch(`${s.url}/health`);
    await health.body?.cancel();
    assertEquals(health.status, 200);
  } finally {
    await redis.stop();
  }
});
