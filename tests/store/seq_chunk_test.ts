/** A bounded sequence's chunk as text (`server/store/seq_chunk.ts`), as both stores keep it. */

import { assert, assertEquals } from "../_helpers/assert.ts";
import { decodeChunk, encodeChunk } from "../../server/store/seq_chunk.ts";
import type { SeqItem } from "../../server/store/store.ts";

/** What a chunk must read back as: the items through JSON, to the character. */
function roundTrips(items: SeqItem[]): void {
  const text = encodeChunk(items);
  assertEquals(JSON.stringify(decodeChunk(text)), JSON.stringify(items));
}

Deno.test("a job's log lines are kept by columns, in a fraction of the room, and read back as written", () => {
  const lines = Array.from({ length: 2000 }, (_, i) => ({
    ts: 1_800_000_000_000 + Math.floor(i / 300),
    stream: "stdout",
    line: String(i + 1),
  }));
  const text = encodeChunk(lines);
  assertEquals(decodeChunk(text), lines);
  assert(
    text.length * 3 < JSON.stringify(lines).length,
    `${text.length} characters by columns, ${JSON.stringify(lines).length} as an array`,
  );
  // Items of one value are objects of their own: a reader numbering one does not number all.
  const read = decodeChunk<SeqItem & { seq?: number }>(text);
  read[0].seq = 1;
  assertEquals(read[1].seq, undefined);
});

Deno.test("chunks written as JSON arrays (before columns) are read", () => {
  const items = [{ ts: 1, stream: "stdout", line: "a" }, { ts: 2, stream: "stderr", line: "b" }];
  assertEquals(decodeChunk(JSON.stringify(items)), items);
});

Deno.test("items of mixed shapes and awkward values read back as JSON keeps them", () => {
  // Shapes that must fall back to an array, and values JSON changes (NaN, -0, undefined).
  const own = JSON.parse('{"__proto__": 1, "x": 2}');
  const cases: SeqItem[][] = [
    [{ a: 1 }],
    [{ a: 1, b: 2 }, { b: 2, a: 1 }],
    [{ a: 1 }, { a: 1, b: 2 }],
    [{ a: 1, b: 2 }, { a: 1 }],
    [{ a: undefined }, { a: 1 }],
    [{ a: 1 }, { a: undefined }],
    [{ a: () => 1 }, { a: 2 }],
    [own, own],
    [{ a: NaN }, { a: NaN }],
    [{ a: Infinity }, { a: Infinity }],
    [{ a: -0 }, { a: 0 }],
    [{ a: Number.MAX_SAFE_INTEGER }, { a: -Number.MAX_SAFE_INTEGER }],
    [{ a: 2 ** 60 }, { a: 1 }],
    [{ a: 1.5 }, { a: 2 }],
    [{ a: { b: [1] } }, { a: { b: [1] } }],
    [{ a: null }, { a: null }],
    [{ a: "é 😀 \ud800 \u2028" }, { a: "" }],
  ];
  for (const items of cases) roundTrips(items);
  // And at random: shapes, values and lengths.
  const values = [0, 1, -1, 7, 2 ** 40, -0, 0.25, NaN, null, true, false, "", "x", '\n"', [], {
    k: 1,
  }];
  let seed = 7;
  const random = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
  for (let round = 0; round < 2000; round++) {
    const keys = ["ts", "stream", "line", "partial"].slice(0, 1 + random(4));
    const items = Array.from({ length: 1 + random(6) }, () => {
      const item: SeqItem = {};
      for (const key of keys) if (random(8)) item[key] = values[random(values.length)];
      return item;
    });
    roundTrips(items);
  }
});
