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

/** What a test drives: the real store, the reaper, and the clock. */
interface Bench {
  store: SqliteStore;
  reaper: Reaper;
  clock: { now: number };
}

/**
 * Runs `fn` with a reaper on a fresh embedded store, reaching it through
 * `reach` (the store itself, unless a test makes it unreachable).
 */
async function withReaper(
  fn: (bench: Bench) => Promise<void>,
  reach: (store: SqliteStore) => Store = (store) => store,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "hero-reaper-" });
  const store = new SqliteStore(`${dir}/store.db`);
  const events = new EventLog(store);
  const clock = { now: T0 };
  const reaper = new Reaper(reach(store), events, {
    intervalMs: 60_000,
    retry: { baseMs: 1000, maxMs: 1000 },
    now: () => clock.now,
    leaseMs: LEASE_MS,
  });
  try {
    await fn({ store, reaper, clock });
  } finally {
    await reaper.stop();
    await events.close();
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
}

/** A job taken by `worker` at T0, its lease ending at T0 + 1 s. */
async function running(store: SqliteStore, id: string, runner: string, worker: string) {
  await store.insertJob(job(id, { runner, status: "queued", timeout: 3600 }));
  await store.takeJobs(runner, 1, worker, T0, T0 + 1000, 0);
}

Deno.test("after the store comes back, leases that ran out meanwhile get one lease to be renewed", () =>
  withReaper(async ({ store, reaper, clock }) => {
    // One runner comes back, one is dead.
    await running(store, "alive", "a", "worker-a");
    await running(store, "dead", "d", "worker-d");
    // The store was out of reach from T0 + 0.5 s until T0 + 20 s: it is back.
    clock.now = T0 + 20_000;
    store.notices.deliver({ type: "notices.resumed" });
    await reaper.tick();
    for (const id of ["alive", "dead"]) {
      assertEquals((await store.getJob(id))?.status, "running", `${id}: left alone`);
    }
    // The live runner renews within the lease (every third of it).
    clock.now = T0 + 23_000;
    assertEquals(await store.renewLeases("worker-a", ["alive"], clock.now + LEASE_MS), []);
    await reaper.tick();
    // One lease after the store came back, the dead runner's job is settled, not the other.
    clock.now = T0 + 20_000 + LEASE_MS;
    await reaper.tick();
    assertEquals((await store.getJob("alive"))?.status, "running");
    const dead = await store.getJob("dead");
    assertEquals(dead?.status, "failed");
    assertMatch(dead!.error!, /stopped renewing its lease \(worker-d\)/);
  }));

Deno.test("without a resumption, a lease that ran out is settled at the next pass", () =>
  withReaper(async ({ store, reaper, clock }) => {
    await store.insertJob(job("gone", { status: "queued", retries: 1 }));
    await store.takeJobs("r1", 1, "worker-gone", T0, T0 + 1000, 0);
    clock.now = T0 + 1001;
    await reaper.tick();
    const gone = await store.getJob("gone");
    assertEquals([gone?.status, gone?.attempts], ["queued", 1]);
  }));

Deno.test("a pass that found the store out of reach: the next one that reaches it holds the leases", () => {
  // The real store, unreachable while `down`: every call fails as an unreachable Redis's does.
  let down = false;
  const unreachable = (store: SqliteStore) =>
    new Proxy(store, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target);
        if (typeof value !== "function") return value;
        return (...args: unknown[]) => {
          if (down) throw new StoreUnavailableError("the store is out of reach (test)");
          return value.apply(target, args);
        };
      },
    }) as Store;
  return withReaper(async ({ store, reaper, clock }) => {
    await running(store, "held", "r1", "worker-h");
    clock.now = T0 + 500;
    down = true;
    const failed = await reaper.tick().then(() => null, (error) => error);
    assert(failed instanceof StoreUnavailableError, String(failed));
    clock.now = T0 + 20_000;
    down = false;
    await reaper.tick();
    assertEquals((await store.getJob("held"))?.status, "running", "left alone for a lease");
    clock.now = T0 + 20_000 + LEASE_MS;
    await reaper.tick();
    assertEquals((await store.getJob("held"))?.status, "failed", "settled after it");
  }, unreachable);
});
