/**
 * The job log writer against the embedded store: lines of any length, on
 * any stream, written faster than its batches, come back from the store and
 * in its notices exactly as written, in order. Batches are cut by count and
 * by characters, so the writer's columns are taken whole, taken in part,
 * made with room ahead and grown past it.
 */

import { assertEquals } from "../_helpers/assert.ts";
import { JobLogWriter } from "../../server/logs/job_log_writer.ts";
import type { LogBatch } from "../../server/logs/log_batch.ts";
import { SqliteStore } from "../../server/store/sqlite_store.ts";
import { logKey } from "../../server/store/store.ts";
import { MAX_LINE_CHARS } from "../../server/util/lines.ts";
import type { LogLine } from "../../shared/types.generated.ts";

Deno.test("job log writer: every line kept and announced as written, across batches of every cut", async () => {
  const dir = await Deno.makeTempDir({ prefix: "hero-writer-" });
  const store = new SqliteStore(`${dir}/store.db`);
  const announced: LogLine[] = [];
  const stop = store.notices.subscribe((notice) => {
    if (notice.type === "logs" && notice.id === "job") {
      announced.push(...(notice.lines as LogBatch).toJSON());
    }
  });
  try {
    const writer = new JobLogWriter(store, "job", {
      keep: 100_000,
      batch: 100,
      batchChars: 2_000,
      delayMs: 1,
    });
    const expected: Omit<LogLine, "seq">[] = [];
    const streams = ["stdout", "stderr"] as const;
    let ts = 1_700_000_000_000;
    for (let i = 0; i < 3_000; i++) {
      // Mostly short lines (batches of 100, cut by count), runs of long ones (cut by
      // characters, in the middle of what waits), one past the longest line (in pieces), and a
      // timestamp that changes every few lines or is not a whole number.
      const text = i % 500 === 7
        ? "p".repeat(MAX_LINE_CHARS + 5)
        : i % 300 < 40
        ? `long ${i} ${"x".repeat(150)}`
        : `line ${i}`;
      if (i % 3 === 0) ts += 1;
      const at = i === 1_234 ? ts + 0.5 : ts;
      const stream = streams[i % 7 === 0 ? 1 : 0];
      const pending = writer.write(stream, text, at);
      if (text.length > MAX_LINE_CHARS) {
        expected.push({ ts: at, stream, line: text.slice(0, MAX_LINE_CHARS), partial: true });
        expected.push({ ts: at, stream, line: text.slice(MAX_LINE_CHARS) });
      } else expected.push({ ts: at, stream, line: text });
      // Sometimes the writer is waited for (as a session's reader does), sometimes not.
      if (pending && i % 2 === 0) await pending;
    }
    await writer.close();
    const stored = await store.readSeq<Omit<LogLine, "seq">>(logKey("job"), 0, 100_000);
    const withoutSeq = (lines: readonly LogLine[]) => lines.map(({ seq: _, ...line }) => line);
    assertEquals(stored.items.map((l) => l.seq), expected.map((_, i) => i + 1));
    assertEquals(withoutSeq(stored.items as LogLine[]), expected);
    assertEquals(announced.map((l) => l.seq), expected.map((_, i) => i + 1));
    assertEquals(withoutSeq(announced), expected);
    assertEquals(writer.lastSeq, expected.length);
  } finally {
    stop();
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});
