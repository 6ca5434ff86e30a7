/**
 * A log batch: lines by columns, read, cut and stored as the lines they hold.
 */

import { assertEquals } from "../_helpers/assert.ts";
import { LogBatch } from "../../server/logs/log_batch.ts";
import { encodeChunk } from "../../server/store/seq_chunk.ts";
import type { LogLine } from "../../shared/types.generated.ts";

const sample: LogLine[] = [
  { seq: 5, ts: 10, stream: "stdout", line: "a" },
  { seq: 6, ts: 10, stream: "stderr", line: 'b "quoted"' },
  { seq: 7, ts: 12, stream: "stdout", line: "x".repeat(3), partial: true },
  { seq: 8, ts: 12, stream: "stdout", line: "" },
];

Deno.test("log batch: made of lines, it gives them back; lines that do not follow on make none", () => {
  const batch = LogBatch.of(sample)!;
  assertEquals([batch.first, batch.last, batch.length, batch.chars], [5, 8, 4, 14]);
  assertEquals(batch.toJSON(), sample);
  assertEquals(JSON.parse(JSON.stringify({ lines: batch })).lines, sample);
  assertEquals([0, 1, 2, 3].map((i) => batch.isPartial(i)), [false, false, true, false]);
  assertEquals(LogBatch.of([sample[0], sample[2]]), null);
  assertEquals(LogBatch.of([{ ...sample[0], line: 3 as unknown as string }]), null);
  assertEquals(LogBatch.of([{ line: "no seq" } as LogLine]), null);
  assertEquals(LogBatch.of([])?.length, 0);
});

Deno.test("log batch: cut from a seq, with a limit; the whole batch is itself", () => {
  const batch = LogBatch.of(sample)!;
  assertEquals(batch.from(1), batch);
  assertEquals(batch.from(7).toJSON(), sample.slice(2));
  assertEquals(batch.from(6, 2).toJSON(), sample.slice(1, 3));
  assertEquals(batch.from(6, 2).chars, sample[1].line.length + 3);
  assertEquals(batch.from(9).length, 0);
  assertEquals(batch.from(5, 0).length, 0);
});

Deno.test("log batch: its chunk is the text the store makes of the same lines", () => {
  const items = (lines: LogLine[]) => lines.map(({ seq: _, ...rest }) => rest);
  const whole = sample.map(({ partial: _, ...line }) => line);
  for (const lines of [whole, whole.slice(0, 1), sample, [whole[0], { ...whole[0], seq: 6 }]]) {
    assertEquals(LogBatch.of(lines)!.chunk(), encodeChunk(items(lines)));
  }
});
