/**
 * The log hub against the embedded store: reads come from the ring while it
 * holds them, and from the store when a notice never came (as when a Redis
 * subscriber reconnects), so no line is skipped or read twice.
 */

import { assertEquals } from "../_helpers/assert.ts";
import { LogHub } from "../../server/logs/log_hub.ts";
import { SqliteStore } from "../../server/store/sqlite_store.ts";
import { logKey } from "../../server/store/store.ts";
import { LogBatch } from "../../server/logs/log_batch.ts";

const lines = (from: number, to: number): LogBatch =>
  new LogBatch(
    0,
    new Float64Array(to - from + 1).fill(1),
    Array.from({ length: to - from + 1 }, () => "stdout" as const),
    Array.from({ length: to - from + 1 }, (_, i) => `line ${from + i}`),
  );

Deno.test("log hub: ring reads, a lost notice, and the final read from the store", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "hero-hub-" });
  const store = new SqliteStore(`${dir}/store.db`);
  const hub = new LogHub(store);
  /** Stores lines; announces them only when `announce` (a lost notice otherwise). */
  const append = async (from: number, to: number, announce = true) => {
    const stored = lines(from, to);
    stored.first = await store.appendSeq(logKey("job"), stored, 10_000);
    if (announce) store.notices.deliver({ type: "logs", id: "job", lines: stored });
  };
  const texts = (read: { lines: LogBatch }) => [...read.lines.lines];
  try {
    await t.step(
      "a reader level with the ring gets nothing and is woken by the next notice",
      async () => {
        await append(1, 3);
        assertEquals(texts(await hub.read("job", 1, 10)), ["line 2", "line 3"]);
        assertEquals((await hub.read("job", 3, 10)).lines.length, 0);
        const news = hub.waitForNews("job", 3, 5000);
        await append(4, 5);
        await news;
        assertEquals(texts(await hub.read("job", 3, 10)), ["line 4", "line 5"]);
      },
    );

    await t.step("after a lost notice, the gap is read from the store", async () => {
      await append(6, 8, false);
      await append(9, 10);
      const read = await hub.read("job", 5, 10);
      assertEquals(read.skipped, 0);
      assertEquals(texts(read), ["line 6", "line 7", "line 8", "line 9", "line 10"]);
      assertEquals(texts(await hub.read("job", 8, 10)), ["line 9", "line 10"]);
    });

    await t.step(
      "lines stored but never announced are found by a read from the store",
      async () => {
        await append(11, 12, false);
        assertEquals((await hub.read("job", 10, 10)).lines.length, 0);
        assertEquals(texts(await hub.read("job", 10, 10, true)), ["line 11", "line 12"]);
      },
    );
  } finally {
    hub.close();
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("log hub: the ring keeps the newest 1024 lines and 64 KiB of them, cutting its oldest batch", async () => {
  const dir = await Deno.makeTempDir({ prefix: "hero-hub-" });
  const store = new SqliteStore(`${dir}/store.db`);
  const hub = new LogHub(store);
  // Announced but never stored: what a read finds, the ring held.
  const announce = (id: string, first: number, texts: string[]) =>
    store.notices.deliver({
      type: "logs",
      id,
      lines: new LogBatch(
        first,
        new Float64Array(texts.length).fill(1),
        texts.map(() => "stdout" as const),
        texts,
      ),
    });
  const seqsAfter = async (id: string, after: number) => {
    const { lines } = await hub.read(id, after, 10_000);
    return lines.length ? [lines.first, lines.last] : [];
  };
  try {
    for (const first of [1, 601, 1201]) {
      announce("short", first, Array.from({ length: 600 }, (_, i) => `line ${first + i}`));
    }
    // 1800 lines came: the newest 1024 are 777..1800, one read per batch.
    assertEquals(await seqsAfter("short", 776), [777, 1200]);
    assertEquals(await seqsAfter("short", 1200), [1201, 1800]);
    assertEquals(await seqsAfter("short", 775), []);

    // 100 lines of 1000 characters: the newest 65 fit in 64 KiB.
    announce("long", 1, Array.from({ length: 100 }, () => "y".repeat(1000)));
    assertEquals(await seqsAfter("long", 35), [36, 100]);
    assertEquals(await seqsAfter("long", 34), []);

    // One line larger than the bound is kept all the same.
    announce("huge", 1, ["z".repeat(100_000)]);
    assertEquals(await seqsAfter("huge", 0), [1, 1]);
  } finally {
    hub.close();
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});
