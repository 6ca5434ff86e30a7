/**
 * A reader's live queue: lines continue after the reader's cursor or not at
 * all, and the bound is in bytes, so long lines fill it sooner than short ones.
 */

import { assertEquals } from "../_helpers/assert.ts";
import { LiveQueue } from "../../server/logs/live_queue.ts";
import { LogBatch } from "../../server/logs/log_batch.ts";

const lines = (from: number, to: number, text = (seq: number) => `line ${seq}`): LogBatch =>
  LogBatch.of(Array.from({ length: to - from + 1 }, (_, i) => ({
    seq: from + i,
    ts: 1,
    stream: "stdout" as const,
    line: text(from + i),
  })))!;
const seqs = (taken: LogBatch[] | null) =>
  taken?.flatMap((batch) => batch.toJSON().map((l) => l.seq)) ?? null;

Deno.test("live queue: hands over lines that continue the cursor, drops those already sent", () => {
  const queue = new LiveQueue();
  queue.push(lines(1, 3));
  queue.push(lines(4, 5));
  assertEquals(seqs(queue.takeAfter(0)), [1, 2, 3, 4, 5]);
  assertEquals(queue.takeAfter(5), null);

  // The reader got 6..7 from the store meanwhile: the queue skips them.
  queue.push(lines(6, 9));
  assertEquals(seqs(queue.takeAfter(7)), [8, 9]);

  // A queue that starts after the cursor is not live for that reader; it keeps its lines.
  queue.push(lines(12, 13));
  assertEquals(queue.takeAfter(9), null);
  assertEquals(seqs(queue.takeAfter(11)), [12, 13]);
});

Deno.test("live queue: bounded in bytes, so a long line counts for more than a short one", () => {
  const max = 64 * 1024;
  // 500 short lines fit in 64 KiB: all of them are handed over.
  const short = new LiveQueue(max);
  short.push(lines(1, 500, () => "x"));
  assertEquals(seqs(short.takeAfter(0)), Array.from({ length: 500 }, (_, i) => i + 1));

  // 20 lines of 4 KiB do not: the 16th overflows it, and it lets go of all it held.
  const long = new LiveQueue(max);
  for (let seq = 1; seq <= 20; seq++) long.push(lines(seq, seq, () => "y".repeat(4096)));
  // It does not continue the reader's cursor (the reader catches up from the store) ...
  assertEquals(long.takeAfter(0), null);
  // ... and holds only what came after the overflow.
  assertEquals(seqs(long.takeAfter(16)), [17, 18, 19, 20]);
});

Deno.test("live queue: lines after a gap wait, so that the reader reads the gap from the store", () => {
  const queue = new LiveQueue();
  queue.push(lines(1, 3));
  // 4..5 never came (a notice lost on its way from another process).
  queue.push(lines(6, 7));
  queue.push(lines(8, 8));
  assertEquals(seqs(queue.takeAfter(0)), [1, 2, 3]);
  assertEquals(queue.takeAfter(3), null);
  // The reader read 4..5 from the store: the queue goes on from there.
  assertEquals(seqs(queue.takeAfter(5)), [6, 7, 8]);
  // A batch partly sent already: only its rest is handed over.
  queue.push(lines(9, 12));
  assertEquals(seqs(queue.takeAfter(10)), [11, 12]);
});
