/** Adaptive batching of store calls (`server/store/batcher.ts`). */

import { assertEquals } from "../_helpers/assert.ts";
import { Batcher } from "../../server/store/batcher.ts";

Deno.test("calls of one turn go out as one batch; calls during a batch form the next", async () => {
  const batches: number[][] = [];
  let release!: () => void;
  const batcher = new Batcher<number, number>(
    async (inputs) => {
      batches.push(inputs);
      if (batches.length === 1) await new Promise<void>((r) => (release = r));
      return inputs.map((n) => n * 10);
    },
    100,
    1,
  );
  // Fifty jobs that ended together each record their outcome: one batch, not 1 + 49.
  const first = Promise.all(Array.from({ length: 50 }, (_, i) => batcher.call(i)));
  await Promise.resolve();
  await Promise.resolve();
  assertEquals(batches.map((b) => b.length), [50]);
  const second = Promise.all([batcher.call(100), batcher.call(101)]);
  release();
  assertEquals((await first).slice(0, 3), [0, 10, 20]);
  assertEquals(await second, [1000, 1010]);
  assertEquals(batches.map((b) => b.length), [50, 2], "the waiting calls went out together");
});

Deno.test("a lone call goes out at the end of its turn, and a failed batch fails its calls", async () => {
  const batcher = new Batcher<string, string>(
    (inputs) => {
      if (inputs.includes("bad")) return Promise.reject(new Error("store down"));
      return Promise.resolve(inputs.map((s) => s.toUpperCase()));
    },
    10,
    2,
  );
  assertEquals(await batcher.call("a"), "A");
  const results = await Promise.allSettled([batcher.call("x"), batcher.call("bad")]);
  assertEquals(results.map((r) => r.status), ["rejected", "rejected"]);
  assertEquals(await batcher.call("b"), "B", "the next batch works again");
});

Deno.test("batches are cut at the most a batch may hold", async () => {
  const sizes: number[] = [];
  const batcher = new Batcher<number, number>(
    (inputs) => {
      sizes.push(inputs.length);
      return Promise.resolve(inputs);
    },
    4,
    1,
  );
  await Promise.all(Array.from({ length: 10 }, (_, i) => batcher.call(i)));
  assertEquals(sizes, [4, 4, 2]);
});
