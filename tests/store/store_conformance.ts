/**
 * The store conformance suite: one set of tests that every backend must
 * pass unchanged (BullMQ's pattern). `sqlite_store_test.ts` and
 * `redis_store_test.ts` run it, each with its own backend.
 *
 * Time is passed explicitly to the store (leases, deadlines, delays), so the
 * lease and expiry paths run on a controlled clock.
 */

import type { Notice } from "../../server/store/notices.ts";
import { LogBatch } from "../../server/logs/log_batch.ts";
import {
  DuplicateJobError,
  type JobRecord,
  logKey,
  type MemberRecord,
  type RateLimit,
  type ScheduleRecord,
  type Store,
} from "../../server/store/store.ts";
import { assert, assertEquals, eventually } from "../_helpers/assert.ts";

/** Makes a fresh, empty store (and a way to dispose of it). */
export type StoreFactory = () => Promise<{ store: Store; dispose: () => Promise<void> }>;

/** The time the suite's jobs are made at (ms). */
export const T0 = 1_800_000_000_000;

/** A new job for a store, with `extra` over the defaults. */
export function job(id: string, extra: Partial<JobRecord> = {}): Omit<JobRecord, "seq"> {
  return {
    id,
    runner: "r1",
    payload: "export default 1",
    status: "created",
    created_at: T0,
    updated_at: T0,
    attempts: 0,
    timeout: 10,
    ...extra,
  };
}

/** Registers the conformance tests for one backend. */
export function storeConformance(backend: string, factory: StoreFactory): void {
  const test = (name: string, fn: (store: Store) => Promise<void>) =>
    Deno.test(`${backend} store: ${name}`, async () => {
      const { store, dispose } = await factory();
      try {
        await fn(store);
      } finally {
        await dispose();
      }
    });

  test("insert, get, duplicate id", async (store) => {
    const a = await store.insertJob(
      job("a", { caller_id: "c", env_vars: { K: "v" }, depends_on: [] }),
    );
    assert(a.seq > 0);
    const got = await store.getJob("a");
    assertEquals(got?.env_vars, { K: "v" });
    assertEquals([got?.id, got?.status, got?.caller_id, got?.seq], ["a", "created", "c", a.seq]);
    assertEquals(await store.getJob("missing"), null);
    let duplicate = false;
    try {
      await store.insertJob(job("a"));
    } catch (error) {
      duplicate = error instanceof DuplicateJobError;
    }
    assert(duplicate, "a duplicate id throws DuplicateJobError");
    assertEquals((await store.getJobs(["a", "x"])).map((j) => j?.id ?? null), ["a", null]);
  });

  test("calls of one turn: a failing one fails alone, the others are stored", async (store) => {
    await store.insertJob(job("taken", { status: "queued" }));
    // All in one turn: the store may batch them (one transaction on SQLite, one script on Redis).
    const results = await Promise.allSettled([
      store.insertJob(job("first", { status: "queued" })),
      store.insertJob(job("taken")),
      store.insertJob(job("second", { status: "queued" })),
      store.insertJob(job("second")),
      store.insertJob(job("third", { status: "queued", depends_on: ["first"] })),
    ]);
    assertEquals(
      results.map((r) =>
        r.status === "fulfilled" ? r.value.id : r.reason instanceof DuplicateJobError
      ),
      ["first", true, "second", true, "third"],
    );
    const stored = await store.getJobs(["first", "second", "third", "taken"]);
    assertEquals(stored.map((j) => j?.id), ["first", "second", "third", "taken"]);
    // Seqs grow in call order, and the queue takes them in that order.
    const seqs = stored.slice(0, 3).map((j) => j!.seq);
    assert(seqs[0] < seqs[1] && seqs[1] < seqs[2], `seqs in order: ${seqs}`);
    const taken = await store.takeJobs("r1", 10, "w", T0, T0 + 1000, 0);
    assertEquals(taken.map((j) => j.id), ["taken", "first", "second", "third"]);
    assertEquals(await store.dependantsOf("first"), ["third"]);
  });

  test("list: newest first, filters, paging with beforeSeq", async (store) => {
    for (let i = 0; i < 25; i++) {
      await store.insertJob(job(`j${i}`, {
        runner: i % 2 ? "odd" : "even",
        caller_id: i % 5 === 0 ? "five" : "other",
        context_id: "ctx",
        status: i < 3 ? "queued" : "created",
      }));
    }
    const page1 = await store.listJobs({ limit: 10 });
    assertEquals(page1.map((j) => j.id), Array.from({ length: 10 }, (_, i) => `j${24 - i}`));
    const page2 = await store.listJobs({ limit: 10, beforeSeq: page1.at(-1)!.seq });
    assertEquals(page2[0].id, "j14");
    const page3 = await store.listJobs({ limit: 10, beforeSeq: page2.at(-1)!.seq });
    assertEquals(page3.map((j) => j.id), ["j4", "j3", "j2", "j1", "j0"]);
    assertEquals((await store.listJobs({ runner: "odd", limit: 100 })).length, 12);
    assertEquals(
      (await store.listJobs({ caller_id: "five", runner: "even", limit: 100 })).map((j) => j.id),
      ["j20", "j10", "j0"],
    );
    assertEquals((await store.listJobs({ status: "queued", limit: 100 })).map((j) => j.id), [
      "j2",
      "j1",
      "j0",
    ]);
    assertEquals((await store.listJobs({ context_id: "nope", limit: 10 })).length, 0);
    const counts = await store.countJobs();
    assertEquals([counts.queued, counts.created, counts.total], [3, 22, 25]);
  });

  test("transition: compare-and-set on status and worker", async (store) => {
    await store.insertJob(job("t"));
    const ok = await store.transition("t", { from: ["created"], to: "queued", now: T0 + 1 });
    assert(ok.ok);
    assertEquals([ok.job.status, ok.job.runner, ok.job.attempts], ["queued", "r1", 0]);
    assertEquals((await store.getJob("t"))?.updated_at, T0 + 1);
    const wrong = await store.transition("t", { from: ["created"], to: "queued", now: T0 + 2 });
    assertEquals(wrong.ok ? "ok" : wrong.reason, "status");
    const missing = await store.transition("nope", { from: ["created"], to: "queued", now: T0 });
    assertEquals(missing.ok ? "ok" : missing.reason, "missing");
    const [taken] = await store.takeJobs("r1", 1, "w1", T0 + 3, T0 + 1003, 500);
    assertEquals(taken.worker, "w1");
    const notMine = await store.transition("t", {
      from: ["running"],
      to: "completed",
      worker: "w2",
      now: T0 + 4,
    });
    assertEquals(notMine.ok ? "ok" : notMine.reason, "worker");
    const done = await store.transition("t", {
      from: ["running"],
      to: "completed",
      worker: "w1",
      now: T0 + 5,
      set: { result: { deep: [1, "x", null] }, finished_at: T0 + 5 },
    });
    assert(done.ok);
    const stored = await store.getJob("t");
    assertEquals(stored?.result, { deep: [1, "x", null] });
    assertEquals([stored?.worker, stored?.lease_until, stored?.deadline_at], [
      undefined,
      undefined,
      undefined,
    ]);
    const unset = await store.transition("t", {
      from: ["completed"],
      to: "completed",
      now: T0 + 6,
      unset: ["result"],
    });
    assert(unset.ok);
    assertEquals((await store.getJob("t"))?.result, undefined);
  });

  test("transition: one job changed twice in one turn is indexed by its last status", async (store) => {
    await store.insertJob(job("twice"));
    // Not awaited in between: a store that groups a turn's calls sees both together.
    const [first, second] = await Promise.all([
      store.transition("twice", { from: ["created"], to: "queued", now: T0 + 1 }),
      store.transition("twice", { from: ["queued"], to: "stopped", now: T0 + 2 }),
    ]);
    assert(first.ok && second.ok);
    const counts = await store.countJobs();
    assertEquals([counts.created, counts.queued, counts.stopped], [0, 0, 1]);
    const listed = async (status: JobRecord["status"]) =>
      (await store.listJobs({ status, limit: 10 })).map((j) => j.id);
    assertEquals(await listed("queued"), []);
    assertEquals(await listed("stopped"), ["twice"]);
    assertEquals(await store.takeJobs("r1", 5, "w", T0 + 3, T0 + 1000, 0), [], "not queued");
  });

  test("getJob without the result: every other field as a full read has it", async (store) => {
    const big = { text: "x".repeat(100_000), list: [1, "two", null] };
    await store.insertJob(job("r", {
      status: "queued",
      priority: 3,
      caller_id: "c",
      context_id: "x",
      env_vars: { A: "1" },
      keep: { completed: { age: 60 } },
    }));
    const [taken] = await store.takeJobs("r1", 1, "w", T0 + 1, T0 + 1000, 500);
    assertEquals(taken.id, "r");
    assert(
      (await store.transition("r", {
        from: ["running"],
        to: "completed",
        worker: "w",
        now: T0 + 2,
        set: { result: big, finished_at: T0 + 2, error: "kept too" },
      })).ok,
    );
    const full = await store.getJob("r");
    assertEquals(full?.result, big);
    const { result: _, ...rest } = full!;
    assertEquals(await store.getJob("r", { result: false }), rest);
    assertEquals(await store.getJob("r", { result: true }), full);
    // A state read may leave out the payload too; all else is the same.
    const state = await store.getJob("r", { result: false, payload: false });
    assertEquals({ ...state, payload: rest.payload }, rest);
    assertEquals(await store.getJob("missing", { result: false }), null);
    // The result is still there for a full read, and goes when unset.
    assert(
      (await store.transition("r", {
        from: ["completed"],
        to: "completed",
        now: T0 + 3,
        unset: ["result"],
      })).ok,
    );
    assertEquals((await store.getJob("r"))?.result, undefined);
    assertEquals((await store.listJobs({ limit: 5 }))[0].result, undefined);
  });

  test("queue: FIFO per runner, take marks running with a lease and counts attempts", async (store) => {
    for (const id of ["q1", "q2", "q3"]) await store.insertJob(job(id, { status: "queued" }));
    await store.insertJob(job("other", { status: "queued", runner: "r2" }));
    assertEquals((await store.queueDepths()).r1, 3);
    const first = await store.takeJobs("r1", 2, "w", T0 + 10, T0 + 1010, 500);
    assertEquals(first.map((j) => j.id), ["q1", "q2"]);
    for (const j of first) {
      assertEquals([j.status, j.attempts, j.started_at, j.lease_until], [
        "running",
        1,
        T0 + 10,
        T0 + 1010,
      ]);
      assertEquals(j.deadline_at, T0 + 10 + 10_000 + 500);
    }
    assertEquals((await store.takeJobs("r1", 5, "w", T0 + 11, T0 + 1011, 500)).map((j) => j.id), [
      "q3",
    ]);
    assertEquals(await store.takeJobs("r1", 5, "w", T0 + 12, T0 + 1012, 500), []);
    assertEquals((await store.takeJobs("r2", 5, "w", T0 + 12, T0 + 1012, 500)).map((j) => j.id), [
      "other",
    ]);
    assertEquals((await store.countJobs()).running, 4);
  });

  test("takes of every size: exactly as many as asked, in queue order", async (store) => {
    const ids = Array.from({ length: 140 }, (_, i) => `t${String(i).padStart(3, "0")}`);
    await store.insertJobs(ids.map((id) => job(id, { status: "queued" })));
    let at = 0;
    // Small takes and large ones (the embedded store prepares them differently).
    for (const max of [1, 2, 64, 65, 3, 100]) {
      const taken = await store.takeJobs("r1", max, "w", T0 + 1, T0 + 1000, 0);
      const expected = ids.slice(at, at + max);
      assertEquals(taken.map((j) => j.id), expected, `a take of ${max}`);
      at += expected.length;
    }
    assertEquals(at, ids.length);
  });

  test("a stopped queued job is never taken", async (store) => {
    await store.insertJob(job("s1", { status: "queued" }));
    await store.insertJob(job("s2", { status: "queued" }));
    assert((await store.transition("s1", { from: ["queued"], to: "stopped", now: T0 })).ok);
    assertEquals((await store.takeJobs("r1", 5, "w", T0, T0 + 100, 0)).map((j) => j.id), ["s2"]);
    assertEquals((await store.queueDepths()).r1 ?? 0, 0);
  });

  test("leases: renewed by their holder only; expired ones are found by a controlled clock", async (store) => {
    for (const id of ["l1", "l2"]) await store.insertJob(job(id, { status: "queued" }));
    await store.takeJobs("r1", 2, "w1", T0, T0 + 1000, 0);
    assertEquals(await store.renewLeases("w1", ["l1"], T0 + 5000), []);
    assertEquals(await store.renewLeases("w2", ["l2"], T0 + 5000), ["l2"]);
    assertEquals((await store.expiredLeases(T0 + 999, 10)).map((j) => j.id), []);
    assertEquals((await store.expiredLeases(T0 + 1001, 10)).map((j) => j.id), ["l2"]);
    assertEquals((await store.expiredLeases(T0 + 5001, 10)).map((j) => j.id).sort(), ["l1", "l2"]);
    // Settling a lost job: only if the lease really expired by then.
    const early = await store.transition("l1", {
      from: ["running"],
      to: "queued",
      leaseExpiredBy: T0 + 2000,
      now: T0 + 2000,
    });
    assertEquals(early.ok ? "ok" : early.reason, "lease");
    const late = await store.transition("l2", {
      from: ["running"],
      to: "queued",
      leaseExpiredBy: T0 + 2000,
      now: T0 + 2000,
    });
    assert(late.ok);
    assertEquals((await store.getJob("l2"))?.worker, undefined);
    assertEquals((await store.expiredLeases(T0 + 10_000, 10)).map((j) => j.id), ["l1"]);
    // l2 is queued again and can be taken by another worker.
    assertEquals(
      (await store.takeJobs("r1", 5, "w2", T0 + 2001, T0 + 3000, 0)).map((j) => j.attempts),
      [2],
    );
  });

  test("deadlines: running jobs past timeout plus grace are overdue", async (store) => {
    await store.insertJob(job("d", { status: "queued", timeout: 2 }));
    await store.takeJobs("r1", 1, "w", T0, T0 + 60_000, 500);
    assertEquals((await store.overdueJobs(T0 + 2499, 10)).length, 0);
    assertEquals((await store.overdueJobs(T0 + 2501, 10)).map((j) => j.id), ["d"]);
    await store.transition("d", { from: ["running"], to: "timeout", now: T0 + 2501 });
    assertEquals((await store.overdueJobs(T0 + 99_999, 10)).length, 0);
  });

  test("retry delay: a job queued with run_after waits until then", async (store) => {
    await store.insertJob(job("r", { status: "queued" }));
    const [taken] = await store.takeJobs("r1", 1, "w", T0, T0 + 1000, 0);
    const requeued = await store.transition("r", {
      from: ["running"],
      to: "queued",
      worker: "w",
      now: T0 + 10,
      set: { error: "boom", run_after: T0 + 500 },
    });
    assert(requeued.ok && taken);
    await store.promoteDelayed(T0 + 100);
    assertEquals(await store.takeJobs("r1", 1, "w", T0 + 100, T0 + 1100, 0), []);
    await store.promoteDelayed(T0 + 501);
    const again = await store.takeJobs("r1", 1, "w", T0 + 501, T0 + 1501, 0);
    assertEquals(again.map((j) => [j.id, j.attempts]), [["r", 2]]);
    assertEquals(again[0].run_after, undefined);
  });

  test("scheduled: waits for its run_after, then is queued by promoteDelayed", async (store) => {
    await store.insertJob(
      job("s1", { status: "scheduled", run_after: T0 + 1000, run_at: T0 + 1000 }),
    );
    await store.insertJob(
      job("s2", { status: "scheduled", run_after: T0 + 2000, run_at: T0 + 2000 }),
    );
    assertEquals((await store.countJobs()).scheduled, 2);
    assertEquals(await store.takeJobs("r1", 5, "w", T0 + 999, T0 + 5000, 0), []);
    assertEquals(await store.promoteDelayed(T0 + 999), []);
    assertEquals(await store.promoteDelayed(T0 + 1000), ["r1"]);
    const first = await store.getJob("s1");
    assertEquals([first?.status, first?.run_after], ["queued", undefined]);
    assertEquals((await store.getJob("s2"))?.status, "scheduled");
    assertEquals((await store.listJobs({ status: "scheduled", limit: 10 })).map((j) => j.id), [
      "s2",
    ]);
    const taken = await store.takeJobs("r1", 5, "w", T0 + 1001, T0 + 5000, 0);
    assertEquals(taken.map((j) => j.id), ["s1"]);
    // Stopped before its time: it never runs.
    const stopped = await store.transition("s2", {
      from: ["scheduled"],
      to: "stopped",
      now: T0 + 1500,
    });
    assert(stopped.ok);
    assertEquals(await store.promoteDelayed(T0 + 3000), []);
    assertEquals(await store.takeJobs("r1", 5, "w", T0 + 3000, T0 + 5000, 0), []);
  });

  test("scheduled by a transition (a created job started), deleted before its time", async (store) => {
    await store.insertJob(job("c1"));
    await store.insertJob(job("c2"));
    for (const id of ["c1", "c2"]) {
      const r = await store.transition(id, {
        from: ["created"],
        to: "scheduled",
        now: T0,
        set: { run_after: T0 + 100 },
      });
      assert(r.ok);
    }
    assert((await store.deleteJob("c2", ["created", "scheduled"])).ok);
    assertEquals(await store.promoteDelayed(T0 + 100), ["r1"]);
    assertEquals((await store.takeJobs("r1", 5, "w", T0 + 100, T0 + 5000, 0)).map((j) => j.id), [
      "c1",
    ]);
  });

  test("priority: higher first, first come first served within one, retries go to the back", async (store) => {
    const order: [string, number][] = [["a", 0], ["b", 5], ["c", 0], ["d", -3], ["e", 5], [
      "f",
      1000,
    ]];
    for (const [id, priority] of order) {
      await store.insertJob(job(id, { status: "queued", priority: priority || undefined }));
    }
    const [top] = await store.takeJobs("r1", 1, "w", T0, T0 + 1000, 0);
    assertEquals(top.id, "f");
    // A retry of `f` at its priority comes before all others again; one at 0 after `c`.
    await store.transition("f", { from: ["running"], to: "queued", worker: "w", now: T0 + 1 });
    const all = await store.takeJobs("r1", 10, "w", T0 + 2, T0 + 1000, 0);
    assertEquals(all.map((j) => j.id), ["f", "b", "e", "a", "c", "d"]);
    assertEquals(all[1].priority, 5);
  });

  test("insertJobs: all or nothing; a duplicate id stores none", async (store) => {
    await store.insertJob(job("exists"));
    /** The id the refused batch names (or what else went wrong). */
    const refused = async (jobs: Omit<JobRecord, "seq">[]) => {
      try {
        await store.insertJobs(jobs);
        return "stored";
      } catch (error) {
        return error instanceof DuplicateJobError ? error.id : String(error);
      }
    };
    assertEquals(
      await refused([job("n1", { status: "queued" }), job("exists"), job("n2")]),
      "exists",
    );
    assertEquals(await store.getJob("n1"), null);
    assertEquals(await store.takeJobs("r1", 5, "w", T0, T0 + 1000, 0), [], "nothing queued");
    // One id twice in the batch: neither is stored.
    assertEquals(
      await refused([job("twice", { status: "queued" }), job("n3"), job("twice")]),
      "twice",
    );
    assertEquals(await store.getJob("twice"), null);
    assertEquals(await store.getJob("n3"), null);
    assertEquals(await store.takeJobs("r1", 5, "w", T0, T0 + 1000, 0), [], "nothing queued");
    const stored = await store.insertJobs([
      job("m1", { status: "queued" }),
      job("m2", { depends_on: ["m1"] }),
      job("m3", { status: "scheduled", run_after: T0 + 10 }),
    ]);
    assertEquals(stored.map((j) => j.id), ["m1", "m2", "m3"]);
    assert(stored[0].seq < stored[1].seq && stored[1].seq < stored[2].seq);
    assertEquals(await store.dependantsOf("m1"), ["m2"]);
    assertEquals((await store.countJobs()).scheduled, 1);
  });

  test("dedup_key: held until dedup_until, the holder returned instead of a new job", async (store) => {
    const first = await store.insertJob(job("d1", { dedup_key: "k", dedup_until: T0 + 1000 }));
    const again = await store.insertJob(
      job("d2", { dedup_key: "k", dedup_until: T0 + 1000, created_at: T0 + 10 }),
    );
    assertEquals([again.id, again.seq], ["d1", first.seq]);
    assertEquals(await store.getJob("d2"), null);
    const many = await store.insertJobs([
      job("d3", { dedup_key: "k", created_at: T0 + 20 }),
      job("d4"),
    ]);
    assertEquals(many.map((j) => j.id), ["d1", "d4"]);
    // Deleted, the holder no longer holds the key.
    assert((await store.deleteJob("d1", ["created"])).ok);
    const fresh = await store.insertJob(job("d5", { dedup_key: "k", dedup_until: T0 + 2000 }));
    assertEquals(fresh.id, "d5");
  });

  test("retention: final jobs past their own or the default age go, with their logs", async (store) => {
    const end = async (id: string, to: "completed" | "failed" | "stopped", at: number) => {
      await store.transition(id, { from: ["created"], to, now: at, set: { finished_at: at } });
    };
    await store.insertJob(job("old"));
    await store.insertJob(job("new"));
    await store.insertJob(job("own", { keep: { completed: { age: 5 } } }));
    await store.insertJob(job("fail"));
    await store.insertJob(job("stop"));
    await store.insertJob(job("live"));
    await store.appendSeq(logKey("old"), [{ ts: 1, stream: "stdout", line: "x" }], 10);
    await end("old", "completed", T0);
    await end("new", "completed", T0 + 50_000);
    await end("own", "completed", T0 + 50_000);
    await end("fail", "failed", T0);
    await end("stop", "stopped", T0);
    const ages = { completed: 60_000, failed: 120_000 };
    assertEquals(await store.sweepExpired(T0 + 54_999, ages, 10), 0);
    assertEquals(await store.sweepExpired(T0 + 55_000, ages, 10), 1, "own: 5 s after its end");
    assertEquals(await store.getJob("own"), null);
    assertEquals(await store.sweepExpired(T0 + 60_000, ages, 10), 1, "old: the default 60 s");
    assertEquals(await store.getJob("old"), null);
    assertEquals((await store.readSeq(logKey("old"), 0, 10)).items, []);
    assertEquals(await store.sweepExpired(T0 + 120_000, ages, 1), 1, "at most the limit");
    assertEquals(await store.sweepExpired(T0 + 120_000, ages, 10), 2);
    assertEquals(
      (await store.listJobs({ limit: 10 })).map((j) => j.id),
      ["live"],
      "new went at 110 s, failed and stopped at 120 s; the job not ended stays",
    );
    assertEquals(await store.sweepExpired(T0 + 10_000_000, {}, 10), 0, "no default: kept");
  });

  test("retention: a status trimmed to its newest `keep`, oldest first", async (store) => {
    for (let i = 0; i < 7; i++) {
      await store.insertJob(job(`t${i}`));
      await store.transition(`t${i}`, {
        from: ["created"],
        to: i === 6 ? "failed" : "completed",
        now: T0 + i,
        set: { finished_at: T0 + i },
      });
    }
    assertEquals(await store.trimStatus("completed", 2, 3), 3, "at most the limit");
    assertEquals(await store.trimStatus("completed", 2, 10), 1);
    assertEquals(await store.trimStatus("completed", 2, 10), 0);
    assertEquals((await store.listJobs({ limit: 10 })).map((j) => j.id), ["t6", "t5", "t4"]);
    assertEquals((await store.countJobs()).completed, 2);
  });

  test("delete: only from allowed statuses; removes the job and its logs", async (store) => {
    await store.insertJob(job("del", { status: "queued" }));
    await store.appendSeq(logKey("del"), [{ ts: 1, stream: "stdout", line: "x" }], 10);
    const refused = await store.deleteJob("del", ["created", "completed"]);
    assertEquals(refused.ok ? "ok" : refused.reason, "status");
    const done = await store.deleteJob("del", ["queued"]);
    assert(done.ok);
    assertEquals(await store.getJob("del"), null);
    assertEquals((await store.readSeq(logKey("del"), 0, 10)).items, []);
    assertEquals((await store.deleteJob("del", ["queued"])).ok, false);
    assertEquals(await store.takeJobs("r1", 5, "w", T0, T0 + 1, 0), []);
    assertEquals((await store.listJobs({ limit: 10 })).length, 0);
  });

  test("dependencies: dependants are found; waiting jobs are listed", async (store) => {
    await store.insertJob(job("pre"));
    await store.insertJob(job("dep1", { depends_on: ["pre"] }));
    await store.insertJob(job("dep2", { depends_on: ["pre"] }));
    assertEquals((await store.dependantsOf("pre")).sort(), ["dep1", "dep2"]);
    assertEquals(await store.waitingJobs(10), []);
    await store.transition("dep1", {
      from: ["created"],
      to: "created",
      now: T0,
      set: { waiting_on: ["pre"] },
    });
    assertEquals(await store.waitingJobs(10), ["dep1"]);
    await store.transition("dep1", {
      from: ["created"],
      to: "queued",
      now: T0,
      unset: ["waiting_on"],
    });
    assertEquals(await store.waitingJobs(10), []);
  });

  test("bounded sequences: numbered, kept to the last N, paged, with the drop counted", async (store) => {
    const key = logKey("seq");
    const lines = Array.from(
      { length: 25 },
      (_, i) => ({ ts: i, stream: "stdout" as const, line: `line ${i + 1}` }),
    );
    assertEquals(await store.appendSeq(key, lines.slice(0, 10), 20), 1, "the first seq is 1");
    assertEquals(await store.appendSeq(key, lines.slice(10), 20), 11, "the next follows on");
    const all = await store.readSeq<{ line: string }>(key, 0, 100);
    assertEquals([all.last, all.dropped, all.items.length], [25, 5, 20]);
    assertEquals(all.items[0], { ts: 5, stream: "stdout", line: "line 6", seq: 6 });
    const page = await store.readSeq(key, 10, 3);
    assertEquals(page.items.map((i) => i.seq), [11, 12, 13]);
    assertEquals((await store.readSeq(key, 25, 10)).items, []);
    assertEquals(await store.readSeq("none", 0, 10), { items: [], last: 0, dropped: 0 });
    await store.deleteSeq(key);
    assertEquals((await store.readSeq(key, 0, 10)).last, 0);
  });

  test("bounded sequences: lines by columns (a log batch) read back as the same lines as objects", async (store) => {
    const objects = [
      { ts: 7, stream: "stdout" as const, line: "a" },
      { ts: 7, stream: "stderr" as const, line: 'q"\\\n' },
      { ts: 9, stream: "stdout" as const, line: "" },
      { ts: 1.5, stream: "system" as const, line: "é 😀" },
    ];
    const byColumns = (lines: typeof objects, partial: boolean[] | null = null) =>
      new LogBatch(
        0,
        Float64Array.from(lines, (l) => l.ts),
        lines.map((l) => l.stream),
        lines.map((l) => l.line),
        partial,
      );
    const read = async (key: string) =>
      (await store.readSeq(key, 0, 100)).items.map(({ seq: _, ...rest }) => rest);
    for (
      const [name, items, batch] of [
        ["many", objects, byColumns(objects)],
        ["one", objects.slice(0, 1), byColumns(objects.slice(0, 1))],
        ["all alike", [objects[0], objects[0]], byColumns([objects[0], objects[0]])],
        // A piece of a long line has a key the others lack.
        [
          "pieces",
          [{ ...objects[0], partial: true }, objects[1]],
          byColumns(objects.slice(0, 2), [true, false]),
        ],
      ] as const
    ) {
      await store.appendSeq(logKey(`objects-${name}`), items, 100);
      assertEquals(await store.appendSeq(logKey(`columns-${name}`), batch, 100), 1);
      assertEquals(
        await read(logKey(`columns-${name}`)),
        await read(logKey(`objects-${name}`)),
        name,
      );
      assertEquals(await read(logKey(`columns-${name}`)), items.map((l) => ({ ...l })), name);
    }
  });

  test("bounded sequences: many appends, trimmed as they go, read from anywhere", async (store) => {
    const key = logKey("many");
    for (let n = 0; n < 30; n++) {
      const items = Array.from({ length: 5 }, (_, i) => ({ n: n * 5 + i + 1 }));
      assertEquals(await store.appendSeq(key, items, 12), n * 5 + 1);
    }
    const all = await store.readSeq<{ n: number }>(key, 0, 100);
    assertEquals([all.last, all.dropped], [150, 138]);
    assertEquals(
      all.items.map((i) => [i.seq, i.n]),
      [...Array(12)].map((_, i) => [139 + i, 139 + i]),
    );
    // From inside a batch, across batches, and with a limit.
    assertEquals((await store.readSeq<{ n: number }>(key, 142, 4)).items.map((i) => i.seq), [
      143,
      144,
      145,
      146,
    ]);
    assertEquals((await store.readSeq(key, 149, 10)).items.map((i) => i.seq), [150]);
    assertEquals((await store.readSeq(key, 150, 10)).items, []);
    // A note appended with a larger keep (as the log writer's last one is) brings nothing back.
    await store.appendSeq(key, [{ n: 151 }], 100);
    const after = await store.readSeq<{ n: number }>(key, 0, 100);
    assertEquals([after.last, after.dropped, after.items[0].seq], [151, 138, 139]);
  });

  test("secrets, runner configs and agents", async (store) => {
    const secret = {
      hash: "ab".repeat(32),
      kind: "user" as const,
      fingerprint: "sha256:x",
      created_at: 1,
      source: "api" as const,
    };
    assertEquals(await store.putSecret(secret), true);
    assertEquals(await store.putSecret(secret), false);
    assertEquals(await store.listSecrets(), [secret]);
    assertEquals(await store.deleteSecret(secret.hash), true);
    assertEquals(await store.deleteSecret(secret.hash), false);
    await store.putRunnerConfig({ name: "b", kind: "noop" });
    await store.putRunnerConfig({ name: "a", kind: "script", instances: 3 });
    await store.putRunnerConfig({ name: "a", kind: "script", instances: 4 });
    assertEquals(await store.listRunnerConfigs(), [{ name: "a", kind: "script", instances: 4 }, {
      name: "b",
      kind: "noop",
    }]);
    await store.deleteRunnerConfig("b");
    assertEquals((await store.listRunnerConfigs()).map((c) => c.name), ["a"]);
    await store.heartbeatAgent({ name: "remote", kind: "script" }, "agent-1", T0 + 100);
    await store.heartbeatAgent({ name: "remote", kind: "script" }, "agent-2", T0 + 50);
    assertEquals(await store.liveAgents("remote", T0 + 60), ["agent-1"]);
    await store.removeAgent("remote", "agent-1");
    assertEquals(await store.liveAgents("remote", T0), ["agent-2"]);
    assertEquals((await store.agentRunners()).map((c) => c.name), ["remote"]);
  });

  test("a final transition announces job.final", async (store) => {
    const heard: Notice[] = [];
    const stop = store.notices.subscribe((n) => heard.push(n));
    await store.insertJob(job("n", { status: "queued" }));
    await store.takeJobs("r1", 1, "w", T0, T0 + 100, 0);
    await store.transition("n", {
      from: ["running"],
      to: "failed",
      worker: "w",
      now: T0,
      set: { error: "x" },
    });
    await eventually(() =>
      heard.some((n) => n.type === "job.final" && n.id === "n" && n.status === "failed")
    );
    assertEquals(heard.filter((n) => n.type === "job.final").length, 1, "announced once");
    stop();
  });

  test("concurrent takes never hand one job to two workers", async (store) => {
    for (let i = 0; i < 200; i++) await store.insertJob(job(`c${i}`, { status: "queued" }));
    const takes = await Promise.all(
      Array.from({ length: 20 }, (_, w) => store.takeJobs("r1", 15, `w${w}`, T0, T0 + 1000, 0)),
    );
    const ids = takes.flat().map((j) => j.id);
    assertEquals(ids.length, new Set(ids).size, "no job taken twice");
    assertEquals(ids.length, 200);
  });

  test("cluster members: a heartbeat records, refreshes and is removed", async (store) => {
    const member = (id: string, until: number, busy = 0): MemberRecord => ({
      id,
      role: id.startsWith("agent") ? "agent" : "supervisor",
      host: "h",
      pid: 1,
      version: "v",
      started_at: T0,
      last_seen: until - 15_000,
      until,
      runners: [{ name: "r1", kind: "noop" }],
      load: { busy, instances: 2 },
    });
    assertEquals(await store.listMembers(), []);
    await store.heartbeatMember(member("sup-b", T0 + 15_000));
    await store.heartbeatMember(member("agent-a", T0 + 15_000));
    await store.heartbeatMember(member("sup-b", T0 + 30_000, 1));
    const listed = await store.listMembers();
    assertEquals(listed.map((m) => [m.id, m.role, m.until, m.load.busy]), [
      ["agent-a", "agent", T0 + 15_000, 0],
      ["sup-b", "supervisor", T0 + 30_000, 1],
    ]);
    assertEquals(listed[1].runners, [{ name: "r1", kind: "noop" }]);
    await store.removeMember("agent-a");
    await store.removeMember("never-there");
    assertEquals((await store.listMembers()).map((m) => m.id), ["sup-b"]);
  });

  test("schedules: create once, update the spec, compare-and-set of the tick", async (store) => {
    const schedule: ScheduleRecord = {
      name: "nightly",
      cron: "0 2 * * *",
      timezone: "UTC",
      job: { runner: "r1", payload: "x" },
      overlap: "skip",
      catch_up: "none",
      paused: false,
      owner: "admin:abc",
      created_at: T0,
      updated_at: T0,
      last_tick: T0,
      runs: [],
    };
    assert(await store.putSchedule(schedule, true));
    assertEquals(await store.putSchedule({ ...schedule, cron: "x" }, true), false, "exists");
    assert(await store.putSchedule({ ...schedule, paused: true, last_tick: 0 }, false));
    const got = await store.getSchedule("nightly");
    assertEquals([got?.paused, got?.last_tick, got?.cron], [true, T0, "0 2 * * *"]);
    // Two members race for the same tick: one wins.
    const race = await Promise.all([
      store.advanceSchedule("nightly", T0, T0 + 1000, { tick: T0 + 1000, job_id: "j1" }),
      store.advanceSchedule("nightly", T0, T0 + 1000, { tick: T0 + 1000, job_id: "j1" }),
    ]);
    assertEquals(race.filter(Boolean).length, 1);
    assert(
      await store.advanceSchedule("nightly", T0 + 1000, T0 + 2000, {
        tick: T0 + 2000,
        skipped: "running",
      }),
    );
    assert(!(await store.advanceSchedule("nightly", T0, T0 + 3000, null)), "stale");
    const after = await store.getSchedule("nightly");
    assertEquals(after?.last_tick, T0 + 2000);
    assertEquals(after?.runs, [{ tick: T0 + 2000, skipped: "running" }, {
      tick: T0 + 1000,
      job_id: "j1",
    }]);
    for (let i = 3; i < 30; i++) {
      await store.advanceSchedule("nightly", T0 + (i - 1) * 1000, T0 + i * 1000, {
        tick: T0 + i * 1000,
      });
    }
    assertEquals((await store.getSchedule("nightly"))?.runs.length, 20, "the last 20 runs");
    assertEquals((await store.listSchedules()).map((x) => x.name), ["nightly"]);
    assert(await store.deleteSchedule("nightly"));
    assertEquals(await store.deleteSchedule("nightly"), false);
    assertEquals(await store.getSchedule("nightly"), null);
    assertEquals(await store.putSchedule(schedule, false), false, "no update of one that is gone");
  });

  test("rate limit: at most max starts per window, for every taker; the window's end said", async (store) => {
    for (let i = 0; i < 7; i++) await store.insertJob(job(`rl${i}`, { status: "queued" }));
    const limit = (): RateLimit => ({ max: 3, perMs: 1000 });
    const w0 = T0 - (T0 % 1000);
    const a = limit();
    const first = await store.takeJobs("r1", 2, "wa", w0 + 10, w0 + 60_000, 0, a);
    assertEquals([first.length, a.limitedUntil], [2, undefined]);
    // Another taker in the same window gets what is left of it.
    const b = limit();
    const second = await store.takeJobs("r1", 5, "wb", w0 + 20, w0 + 60_000, 0, b);
    assertEquals([second.length, b.limitedUntil], [1, w0 + 1000]);
    const c = limit();
    assertEquals((await store.takeJobs("r1", 5, "wc", w0 + 999, w0 + 60_000, 0, c)).length, 0);
    assertEquals(c.limitedUntil, w0 + 1000);
    // The next window: three more; then the queue is empty, not limited.
    const d = limit();
    assertEquals((await store.takeJobs("r1", 5, "wd", w0 + 1000, w0 + 60_000, 0, d)).length, 3);
    assertEquals(d.limitedUntil, w0 + 2000, "one left behind");
    const e = limit();
    assertEquals((await store.takeJobs("r1", 5, "we", w0 + 2000, w0 + 60_000, 0, e)).length, 1);
    assertEquals(e.limitedUntil, undefined, "the queue ran dry: nothing held back");
    assertEquals((await store.countJobs()).running, 7);
  });
}
