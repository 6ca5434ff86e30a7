/**
 * The reaper after the store comes back: no runner could renew its leases
 * while the store was out of reach, so the leases that ran out meanwhile are
 * left alone for one lease more; a live runner renews its own (its job is
 * kept), a dead one's job is settled once that lease is over. The store is
 * back when its notices say so, or when a pass reaches it after one that
 * did not. Driven by a clock the test controls, on the embedded store.
 */

import { EventLog } from "../../server/events/event_log.ts";
import { Reaper } from "../../server/jobs/reaper.ts";
import { SqliteStore } from "../../server/store/sqlite_store.ts";
import { type Store, StoreUnavailableError } from "../../server/store/store.ts";
import { assert, assertEquals, assertMatch } from "../_helpers/assert.ts";
import { job, T0 } from "../store/store_conformance.ts";

const LEASE_MS = 10_000;

Deno.test("after the store comes back, leases that ran out meanwhile get one lease to be renewed", async () => {
  const dir = await Deno.makeTempDir({ prefix: "hero-reaper-" });
  const store = new SqliteStore(`${dir}/store.db`);
  const events = new EventLog(store);
  let clock = T0;
  const reaper = new Reaper(store, events, {
    intervalMs: 60_000,
    retry: { baseMs: 1000, maxMs: 1000 },
    now: () => clock,
    leaseMs: LEASE_MS,
  });
  try {
    // Two running jobs whose leases end at T0 + 1 s: one runner comes back, one is dead.
    for (const [id, runner] of [["alive", "a"], ["dead", "d"]]) {
      await store.insertJob(job(id, { runner, status: "queued", timeout: 3600 }));
      await store.takeJobs(runner, 1, `worker-${runner}`, T0, T0 + 1000, 0);
    }
    // The store was out of reach from T0 + 0.5 s until T0 + 20 s: it is back.
    clock = T0 + 20_000;
    store.notices.deliver({ type: "notices.resumed" });
    await reaper.tick();
    for (const id of ["alive", "dead"]) {
      assertEquals((await store.getJob(id))?.status, "running", `${id}: left alone`);
    }
    // The live runner renews within the lease (every third of it).
    clock = T0 + 23_000;
    assertEquals(await store.renewLeases("worker-a", ["alive"], clock + LEASE_MS), []);
    await reaper.tick();
    // One lease after the store came back, the dead runner's job is settled, not the other.
    clock = T0 + 20_000 + LEASE_MS;
    await reaper.tick();
    assertEquals((await store.getJob("alive"))?.status, "running");
    const dead = await store.getJob("dead");
    assertEquals(dead?.status, "failed");
    assertMatch(dead!.error!, /stopped renewing its lease \(worker-d\)/);
  } finally {
    await reaper.stop();
    await events.close();
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("without a resumption, a lease that ran out is settled at the next pass", async () => {
  const dir = await Deno.makeTempDir({ prefix: "hero-reaper-" });
  const store = new SqliteStore(`${dir}/store.db`);
  const events = new EventLog(store);
  let clock = T0;
  const reaper = new Reaper(store, events, {
    intervalMs: 60_000,
    retry: { baseMs: 1000, maxMs: 1000 },
    now: () => clock,
    leaseMs: LEASE_MS,
  });
  try {
    await store.insertJob(job("gone", { status: "queued", retries: 1 }));
    await store.takeJobs("r1", 1, "worker-gone", T0, T0 + 1000, 0);
    clock = T0 + 1001;
    await reaper.tick();
    const gone = await store.getJob("gone");
    assertEquals([gone?.status, gone?.attempts], ["queued", 1]);
  } finally {
    await reaper.stop();
    await events.close();
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a pass that found the store out of reach: the next one that reaches it holds the leases", async () => {
  const dir = await Deno.makeTempDir({ prefix: "hero-reaper-" });
  const real = new SqliteStore(`${dir}/store.db`);
  // The real store, unreachable while \`down\`: every call fails as an unreachable Redis's does.
  let down = false;
  const store = new Proxy(real, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        if (down) throw new StoreUnavailableError("the store is out of reach (test)");
        return value.apply(target, args);
      };
    },
  }) as Store;
  const events = new EventLog(real);
  let clock = T0;
  const reaper = new Reaper(store, events, {
    intervalMs: 60_000,
    retry: { baseMs: 1000, maxMs: 1000 },
    now: () => clock,
    leaseMs: LEASE_MS,
  });
  try {
    await real.insertJob(job("held", { status: "queued", timeout: 3600 }));
    await real.takeJobs("r1", 1, "worker-h", T0, T0 + 1000, 0);
    clock = T0 + 500;
    down = true;
    const failed = await reaper.tick().then(() => null, (error) => error);
    assert(failed instanceof StoreUnavailableError, String(failed));
    clock = T0 + 20_000;
    down = false;
    await reaper.tick();
    assertEquals((await real.getJob("held"))?.status, "running", "left alone for a lease");
    clock = T0 + 20_000 + LEASE_MS;
    await reaper.tick();
    assertEquals((await real.getJob("held"))?.status, "failed", "settled after it");
  } finally {
    await reaper.stop();
    await events.close();
    await real.close();
    await Deno.remove(dir, { recursive: true });
  }
});
