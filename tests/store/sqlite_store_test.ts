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
    await store.insertJob(job("old"));
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
    db.exec(`UPDATE jobs SET data = json_set(data, '$.result', json(result)), result = NULL;
      UPDATE jobs SET data = json_set(data, '$.payload',
        (SELECT payload FROM job_payloads WHERE job_payloads.seq = jobs.seq));
      DROP TABLE job_payloads; PRAGMA user_version = 0`);
    // Its indexes then included two that are gone now.
    db.exec(`CREATE INDEX jobs_leases ON jobs (lease_until) WHERE status = 'running';
      CREATE INDEX jobs_deadlines ON jobs (deadline_at) WHERE status = 'running'`);
    db.close();
    store = new SqliteStore(path);
    try {
      assertEquals((await store.getJob("old"))?.result, { answer: 42 });
      assertEquals((await store.getJob("old"))?.payload, job("old").payload);
      assertEquals((await store.getJob("old", { result: false }))?.result, undefined);
      assertEquals((await store.getJob("old", { result: false }))?.status, "completed");
      assertEquals((await store.getJob("old", { result: false }))?.payload, job("old").payload);
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
    const indexes = db2.prepare("SELECT name FROM sqlite_master WHERE type = 'index'").all()
      .map((r) => (r as { name: string }).name);
    db2.close();
    assertEquals(indexes.filter((name) => /leases|deadlines/.test(name)), []);
    assertEquals([JSON.parse(row.data).result, JSON.parse(row.result)], [undefined, {
      answer: 42,
    }]);
    // The payload moved to its table when the store opened.
    assertEquals([JSON.parse(row.data).payload, row.payload], [undefined, job("old").payload]);
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
