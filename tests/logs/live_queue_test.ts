/**
 * A reader's live queue: lines continue after the reader's cursor or not at
 * all, and the bound is in bytes, so long lines fill it sooner than short ones.
 */

import { assert, assertEquals } from "../_helpers/assert.ts";
import { lineCost, LiveQueue } from "../../server/logs/live_queue.ts";
import type { LogLine } from "../../shared/types.generated.ts";

const lines = (from: number, to: number, text = (seq: number) => `line ${seq}`): LogLine[] =>
  Array.from({ length: to - from + 1 }, (_, i) => ({
    seq: from + i,
    ts: 1,
    stream: "stdout" as const,
    line: text(from + i),
  }));

Deno.test("live queue: hands over lines that continue the cursor, drops those already sent", () => {
  const queue = new LiveQueue();
  queue.push(lines(1, 3));
  queue.push(lines(4, 5));
  assertEquals(queue.takeAfter(0)?.map((l) => l.seq), [1, 2, 3, 4, 5]);
  assertEquals([queue.bytes, queue.takeAfter(5)], [0, null]);

  // The reader got 6..7 from the store meanwhile: the queue skips them.
  queue.push(lines(6, 9));
  assertEquals(queue.takeAfter(7)?.map((l) => l.seq), [8, 9]);

  // A queue that starts after the cursor is not live for that reader; it keeps its lines.
  queue.push(lines(12, 13));
  assertEquals(queue.takeAfter(9), null);
  assertEquals(queue.bytes, lineCost(lines(12, 12)[0]) + lineCost(lines(13, 13)[0]));
  assertEquals(queue.takeAfter(11)?.map((l) => l.seq), [12, 13]);
});

Deno.test("live queue: bounded in bytes, so a long line counts for more than a short one", () => {
  const max = 64 * 1024;
  const short = new LiveQueue(max);
  // 500 short lines fit in 64 KiB; 20 lines of 4 KiB do not.
  short.push(lines(1, 500, () => "x"));
  assertEquals([short.overflows, short.takeAfter(0)?.length], [0, 500]);

  const long = new LiveQueue(max);
  for (let seq = 1; seq <= 20; seq++) long.push(lines(seq, seq, () => "y".repeat(4096)));
  assertEquals(long.overflows, 1);
  assert(long.bytes <= max, `holds ${long.bytes} bytes, more than ${max}`);
  // After an overflow the queue does not continue the reader's cursor: it reads the store.
  assertEquals(long.takeAfter(0), null);
});
