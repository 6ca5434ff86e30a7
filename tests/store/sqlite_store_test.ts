/** The store conformance suite on the embedded store (SQLite). */

import { SqliteStore } from "../../server/store/sqlite_store.ts";
import { DatabaseSync } from "node:sqlite";
import { job, storeConformance, T0 } from "./store_conformance.ts";
import { assertEquals, eventually } from "../_helpers/assert.ts";

storeConformance("embedded", async () => {
  const dir = await Deno.makeTempDir({ prefix: "hero-sqlite-" });
  const store = new SqliteStore(`${dir}/store.db`);
  return {
    store,
    dispose: async () => {
      await store.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
});

Deno.test("embedded store: a file of the versions before: its jobs read the same, its payloads move apart, its old indexes go", async () => {
  const dir = await Deno.makeTempDir({ prefix: "hero-sqlite-" });
  try {
    const path = `${dir}/store.db`;
    let store = new SqliteStore(path);
    // A long payload (kept apart now) and a short one (kept in the row).
    const long = "// a script\n".repeat(200) + "export default 1";
    await store.insertJob(job("old", { payload: long }));
    await store.insertJob(job("short"));
    await store.transition("old", {
      from: ["created"],
      to: "completed",
      now: T0 + 1,
      set: { result: { answer: 42 }, finished_at: T0 + 1 },
    });
    await store.close();
    // As a store of the versions before wrote it: the result and the payload inside the row's
    // JSON, no table of payloads.
    const db = new DatabaseSync(path);
    db.exec(`UPDATE jobs SET data = json_set(data, '$.result', json(result)), result = NULL
        WHERE result IS NOT NULL;
      UPDATE jobs SET data = json_set(data, '$.payload',
        (SELECT payload FROM job_payloads WHERE job_payloads.seq = jobs.seq))
        WHERE seq IN (SELECT seq FROM job_payloads);
      DROP TABLE job_payloads; PRAGMA user_version = 0`);
    // Its indexes then included two that are gone now.
    db.exec(`CREATE INDEX jobs_leases ON jobs (lease_until) WHERE status = 'running';
      CREATE INDEX jobs_deadlines ON jobs (deadline_at) WHERE status = 'running'`);
    db.close();
    store = new SqliteStore(path);
    try {
      assertEquals((await store.getJob("old"))?.result, { answer: 42 });
      assertEquals((await store.getJob("old"))?.payload, long);
      assertEquals((await store.getJob("short"))?.payload, job("short").payload);
      assertEquals((await store.getJob("old", { result: false }))?.result, undefined);
      assertEquals((await store.getJob("old", { result: false }))?.status, "completed");
      assertEquals((await store.getJob("old", { result: false }))?.payload, long);
      // A state read leaves the payload where it is now: apart.
      const state = await store.getJob("old", { result: false, payload: false });
      assertEquals([state?.status, state?.payload], ["completed", undefined]);
      // Its next write moves the result apart; it reads the same.
      await store.transition("old", { from: ["completed"], to: "completed", now: T0 + 2 });
      assertEquals((await store.getJob("old"))?.result, { answer: 42 });
    } finally {
      await store.close();
    }
    // Read once the store closed (it holds its file's lock while open).
    const db2 = new DatabaseSync(path);
    const row = db2.prepare(
      "SELECT data, result, payload FROM jobs JOIN job_payloads USING (seq) WHERE id = 'old'",
    ).get() as { data: string; result: string; payload: string };
    const short = db2.prepare(
      "SELECT data, payload FROM jobs LEFT JOIN job_payloads USING (seq) WHERE id = 'short'",
    ).get() as { data: string; payload: string | null };
    const indexes = db2.prepare("SELECT name FROM sqlite_master WHERE type = 'index'").all()
      .map((r) => (r as { name: string }).name);
    db2.close();
    assertEquals(indexes.filter((name) => /leases|deadlines/.test(name)), []);
    assertEquals([JSON.parse(row.data).result, JSON.parse(row.result)], [undefined, {
      answer: 42,
    }]);
    // The long payload moved to its table when the store opened; the short one stayed.
    assertEquals([JSON.parse(row.data).payload, row.payload], [undefined, long]);
    assertEquals([JSON.parse(short.data).payload, short.payload], [job("short").payload, null]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("embedded store: once the WAL holds many commits, a pause in the writes copies it back", async () => {
  const dir = await Deno.makeTempDir({ prefix: "hero-sqlite-" });
  const path = `${dir}/store.db`;
  const store = new SqliteStore(path);
  try {
    const before = (await Deno.stat(path)).size;
    // One commit each (each awaited): more than the 128 after which the store checkpoints.
    for (let i = 0; i < 200; i++) await store.insertJob(job(`j${i}`));
    // The database file itself grows only when the WAL is copied back into it: at the pause.
    await eventually(
      async () => (await Deno.stat(path)).size > before,
      10_000,
      "the WAL copied back into the database file",
    );
    assertEquals((await store.getJobs(["j0", "j199"])).map((j) => j?.id), ["j0", "j199"]);
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("embedded store: a long payload is kept apart: taken, changed and read whole, left out of a state read, removed with its job", async () => {
  const dir = await Deno.makeTempDir({ prefix: "hero-sqlite-" });
  const path = `${dir}/store.db`;
  const store = new SqliteStore(path);
  try {
    const long = "x".repeat(100_000) + "é";
    await store.insertJob(job("big", { payload: long, status: "queued", runner: "r" }));
    const [taken] = await store.takeJobs("r", 1, "w", T0 + 1, T0 + 1000, 500);
    assertEquals(taken.payload, long);
    await store.transition("big", {
      from: ["running"],
      to: "completed",
      worker: "w",
      now: T0 + 2,
      set: { result: 42, finished_at: T0 + 2 },
    });
    assertEquals((await store.getJob("big"))?.payload, long);
    assertEquals((await store.listJobs({ limit: 10 }))[0].payload, long);
    const state = await store.getJob("big", { result: false, payload: false });
    assertEquals([state?.status, state?.payload, state?.result], [
      "completed",
      undefined,
      undefined,
    ]);
    assertEquals((await store.deleteJob("big", ["completed"])).ok, true);
  } finally {
    await store.close();
  }
  // Nothing of it is left (read once the store closed: it holds the file while open).
  const db = new DatabaseSync(path);
  const left = db.prepare("SELECT COUNT(*) AS n FROM job_payloads").get() as { n: number };
  db.close();
  assertEquals(left.n, 0);
  await Deno.remove(dir, { recursive: true });
});
