/** The store conformance suite on Redis, each test with a redis-server of its own. */

import { createClient } from "redis";
import { RedisStore } from "../../server/store/redis_store.ts";
import { assert, assertEquals, eventually } from "../_helpers/assert.ts";
import { TestRedis } from "../_helpers/redis_server.ts";
import { job, storeConformance } from "./store_conformance.ts";

storeConformance("redis", async () => {
  const redis = await TestRedis.start();
  const store = await RedisStore.connect({ url: redis.url, namespace: "hero", origin: "test" });
  return {
    store,
    dispose: async () => {
      await store.close();
      await redis.stop();
    },
  };
});

/** A redis-server of the test's own, a store "a" on it, and a plain client to look with. */
async function withRedis(
  fn: (redis: TestRedis, a: RedisStore, raw: ReturnType<typeof createClient>) => Promise<void>,
): Promise<void> {
  const redis = await TestRedis.start();
  const a = await RedisStore.connect({ url: redis.url, namespace: "hero", origin: "a" });
  const raw = createClient({ url: redis.url });
  await raw.connect();
  try {
    await fn(redis, a, raw);
  } finally {
    await raw.quit();
    await a.close();
    await redis.stop();
  }
}

Deno.test("redis store: a job's end is announced to other processes only, when any listen", () =>
  withRedis(async (redis, a, stats) => {
    const publishes = async () =>
      Number((await stats.info("commandstats")).match(/cmdstat_publish:calls=(\d+)/)?.[1] ?? 0);
    const finish = (store: RedisStore, id: string) =>
      store.transition(id, { from: ["created"], to: "failed", now: 1, set: { error: "x" } });
    const insert = (store: RedisStore, id: string) => store.insertJob(job(id));
    let b: RedisStore | undefined;
    try {
      const heardByA: string[] = [];
      a.notices.subscribe((n) => n.type === "job.final" && heardByA.push(n.id));
      await insert(a, "alone");
      const before = await publishes();
      await finish(a, "alone");
      assertEquals(heardByA, ["alone"], "the process that ended it hears it at once");
      assertEquals(await publishes(), before, "nobody else listens: nothing is published");

      b = await RedisStore.connect({ url: redis.url, namespace: "hero", origin: "b" });
      const heardByB: string[] = [];
      b.notices.subscribe((n) => n.type === "job.final" && heardByB.push(n.id));
      await insert(a, "shared");
      await finish(a, "shared");
      await eventually(() => heardByB.includes("shared"), 5000, "b to hear the end");
      assertEquals(heardByA, ["alone", "shared"], "a hears its own end once");
    } finally {
      await b?.close();
    }
  }));

Deno.test("redis store: a job's end sent before its insert is acknowledged lands after it", () =>
  withRedis(async (redis, store, raw) => {
    const running = (id: string) =>
      job(id, { status: "running", attempts: 1, worker: "w", lease_until: 1, deadline_at: 1 });
    const end = { from: ["running" as const], to: "completed" as const, worker: "w", now: 2 };
    // As job.run does: the job runs (here: ends at once) while its record is on its way.
    const [inserted, ended] = await Promise.all([
      store.insertJob(running("fast")),
      store.transition("fast", { ...end, set: { result: 1, finished_at: 2 } }),
    ]);
    assertEquals([inserted.id, ended.ok], ["fast", true]);
    assertEquals((await store.getJob("fast"))?.status, "completed");

    // After a Redis restart no script is loaded: the insert is sent again as EVAL after its
    // NOSCRIPT, while the end's script, loaded meanwhile by another process, runs at once,
    // ahead of it. It finds nothing, changes nothing, and is tried again.
    await raw.sendCommand(["SCRIPT", "FLUSH"]);
    const other = await RedisStore.connect({ url: redis.url, namespace: "hero", origin: "b" });
    await other.transition("nobody", { ...end, set: {} });
    await other.close();
    const [, late] = await Promise.all([
      store.insertJob(running("after-flush")),
      store.transition("after-flush", { ...end, set: { result: 2, finished_at: 2 } }),
    ]);
    assertEquals(late.ok, true);
    assertEquals((await store.getJob("after-flush"))?.status, "completed");
  }));

Deno.test("redis store: a notice after a long quiet spell still arrives (the idle subscriber is kept alive)", async () => {
  const redis = await TestRedis.start();
  // A short read deadline: a quiet connection must not be taken for a frozen one.
  const options = { url: redis.url, namespace: "hero", commandTimeoutMs: 1500 };
  const a = await RedisStore.connect({ ...options, origin: "a" });
  const b = await RedisStore.connect({ ...options, origin: "b" });
  try {
    const heard: string[] = [];
    b.notices.subscribe((n) => n.type === "job.stop" && heard.push(n.id));
    // Quiet for longer than the deadline, twice over.
    await new Promise((r) => setTimeout(r, 3500));
    // Its subscriber's connection is the one made at the start, never dropped meanwhile (a
    // drop would lose whatever was published while it came back).
    const pubsub = await redis.cli("CLIENT", "LIST", "TYPE", "pubsub");
    const ages = [...pubsub.matchAll(/ age=(\d+) /g)].map((m) => Number(m[1]));
    assertEquals(ages.length, 2, pubsub);
    assert(ages.every((age) => age >= 3), `reconnected meanwhile: ${pubsub}`);
    await a.notices.publish({ type: "job.stop", id: "after-the-quiet" });
    await eventually(() => heard.includes("after-the-quiet"), 5000, "the notice");
  } finally {
    await a.close();
    await b.close();
    await redis.stop();
  }
});
