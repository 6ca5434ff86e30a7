/**
 * Redis carries out a job's outcome and the connection drops before its
 * answer arrives (Redis killed right after the write, a network cut): the
 * supervisor retries, finds the outcome already stored, and goes on as if
 * the first try had answered: the `job.run` waiting for the job answers, and
 * the job's `job.finished` event is recorded. Before, the retry's refusal
 * ("not running any more") left the caller waiting for the job's timeout.
 */

import { RedisKeys } from "../../server/store/redis_keys.ts";
import { TRANSITIONS } from "../../server/store/redis_scripts.ts";
import { assertEquals, eventually } from "../_helpers/assert.ts";
import { TestRedis } from "../_helpers/redis_server.ts";
import { startSupervisor } from "../_helpers/supervisor.ts";
import { TcpProxy } from "../_helpers/tcp_proxy.ts";

Deno.test("an outcome stored but its answer lost: the retry counts it made, job.run answers", async () => {
  const redis = await TestRedis.start();
  const proxy = new TcpProxy(redis.port);
  const s = await startSupervisor({
    redis_url: `redis://127.0.0.1:${proxy.port}`,
    runners: [{ name: "work", kind: "noop", instances: 1 }],
  });
  try {
    const keys = new RedisKeys(s.config.namespace);
    // A first job loads the scripts into Redis: held, a NOSCRIPT answer would keep the change
    // from being made at all.
    assertEquals(await s.admin.call("job.run", { job: { runner: "work", payload: "x" } }), {
      success: null,
    });
    // The first change of a job's status after this is carried out, and its answer held.
    const held = proxy.holdAfter(TRANSITIONS.sha);
    let answer: unknown = undefined;
    const run = s.admin.call("job.run", {
      job: { id: "lost-answer", runner: "work", payload: "x", timeout: 3600 },
    }).then((result) => (answer = result), (error) => (answer = error));
    await held;
    await eventually(
      async () => (await redis.cli("HGET", keys.job("lost-answer"), "status")) === "completed",
      30_000,
      "the outcome stored in Redis",
    );
    // (Held long enough, the client's own read deadline would drop the connection instead of
    // the cut: the same loss, the same retry.)
    proxy.cut();
    await eventually(() => answer !== undefined, 30_000, "job.run answered");
    assertEquals(answer, { success: null });
    await run;
    // Events are written in batches, a moment after: waited for, then counted.
    const finished = async () =>
      (await s.admin.call<{ events: { type: string }[] }>("events.list", {
        subject: "lost-answer",
        type: "job.finished",
      })).events.length;
    await eventually(async () => await finished() > 0, 30_000, "its job.finished event");
    assertEquals(await finished(), 1);
    assertEquals(
      (await s.admin.call<{ status: string }>("job.get", { job_id: "lost-answer" })).status,
      "completed",
    );
  } finally {
    await s.close();
    await proxy.close();
    await redis.stop();
  }
});
