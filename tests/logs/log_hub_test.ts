/**
 * The log hub against the embedded store: reads come from the ring while it
 * holds them, and from the store when a notice never came (as when a Redis
 * subscriber reconnects), so no line is skipped or read twice.
 */

import { assertEquals } from "../_helpers/assert.ts";
import { LogHub } from "../../server/logs/log_hub.ts";
import { SqliteStore } from "../../server/store/sqlite_store.ts";
import { logKey, type NewLogLine, numbered } from "../../server/store/store.ts";
import type { LogLine } from "../../shared/types.generated.ts";

const lines = (from: number, to: number): NewLogLine[] =>
  Array.from({ length: to - from + 1 }, (_, i) => ({
    ts: 1,
    stream: "stdout" as const,
    line: `line ${from + i}`,
  }));

Deno.test("log hub: ring reads, a lost notice, and the final read from the store", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "hero-hub-" });
  const store = new SqliteStore(`${dir}/store.db`);
  const hub = new LogHub(store);
  /** Stores lines; announces them only when `announce` (a lost notice otherwise). */
  const append = async (from: number, to: number, announce = true) => {
    const stored = lines(from, to);
    const first = await store.appendSeq(logKey("job"), stored, 10_000);
    if (announce) {
      store.notices.deliver({
        type: "logs",
        id: "job",
        lines: numbered(stored, first) as LogLine[],
      });
    }
  };
  const texts = (read: { lines: LogLine[] }) => read.lines.map((l) => l.line);
  try {
    await t.step(
      "a reader level with the ring gets nothing and is woken by the next notice",
      async () => {
        await append(1, 3);
        assertEquals(texts(await hub.read("job", 1, 10)), ["line 2", "line 3"]);
        assertEquals((await hub.read("job", 3, 10)).lines, []);
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
        assertEquals((await hub.read("job", 10, 10)).lines, []);
        assertEquals(texts(await hub.read("job", 10, 10, true)), ["line 11", "line 12"]);
      },
    );
  } finally {
    hub.close();
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});
