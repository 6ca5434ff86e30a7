/** The line of callers the warm pool and the process runner hand instances to. */

import { assert, assertEquals } from "../_helpers/assert.ts";
import { WaiterQueue } from "../../server/util/waiter_queue.ts";

Deno.test("waiters are served first come first served; an abort leaves the line", async () => {
  const queue = new WaiterQueue<string>();
  const first = queue.wait(new AbortController().signal);
  const leaving = new AbortController();
  const second = queue.wait(leaving.signal);
  const third = queue.wait(new AbortController().signal);
  assertEquals(queue.length, 3);
  leaving.abort(new Error("gave up"));
  assertEquals(queue.length, 2);
  await second.then(() => assert(false, "an aborted waiter is not served"), (e) => {
    assertEquals(e.message, "gave up");
  });
  assert(queue.serve("a"));
  assert(queue.serve("b"));
  assert(!queue.serve("c"), "nobody left to serve");
  assertEquals([await first, await third], ["a", "b"]);
});

Deno.test("an already aborted signal never joins; rejectAll turns everyone away", async () => {
  const queue = new WaiterQueue<number>();
  const aborted = new AbortController();
  aborted.abort(new Error("too late"));
  const late = queue.wait(aborted.signal);
  assertEquals(queue.length, 0);
  await late.then(() => assert(false), (e) => assertEquals(e.message, "too late"));
  const waiting = [
    queue.wait(new AbortController().signal),
    queue.wait(new AbortController().signal),
  ];
  queue.rejectAll(new Error("stopping"));
  assertEquals(queue.length, 0);
  const settled = await Promise.allSettled(waiting);
  assertEquals(settled.map((s) => s.status === "rejected" && s.reason.message), [
    "stopping",
    "stopping",
  ]);
});
