/** Many deadlines on one timer: the job timeouts and the waits of `job.run`. */

import { assertEquals, sleep } from "../_helpers/assert.ts";
import { Deadlines } from "../../server/util/deadlines.ts";

Deno.test("deadlines fire in time order, once each; a cancelled one never fires", async () => {
  const deadlines = new Deadlines();
  const fired: string[] = [];
  const now = Date.now();
  deadlines.add(now + 60, () => fired.push("c"));
  deadlines.add(now + 20, () => fired.push("a"));
  const cancelB = deadlines.add(now + 40, () => fired.push("b"));
  deadlines.add(now + 40, () => fired.push("b2"));
  cancelB();
  cancelB(); // a second cancel is a no-op
  await sleep(120);
  assertEquals(fired, ["a", "b2", "c"]);
});

Deno.test("an earlier deadline added later still fires on time; the timer outlives a cancel", async () => {
  const deadlines = new Deadlines();
  const fired: string[] = [];
  const t0 = Date.now();
  const cancelLate = deadlines.add(t0 + 30, () => fired.push("first"));
  // The timer is set for t0 + 30; this one must not wait for it.
  deadlines.add(t0 + 5, () => fired.push("earlier"));
  cancelLate();
  // Added after a cancel left the timer set for a deadline that went away.
  deadlines.add(t0 + 50, () => fired.push("later"));
  // Plain timers as landmarks: orders, not measured times, tell early from late.
  const landmarks = [30, 45].map((at) =>
    new Promise<void>((r) => setTimeout(() => r(void fired.push(`${at} ms`)), t0 + at - Date.now()))
  );
  await Promise.all(landmarks);
  await sleep(30);
  assertEquals(fired.filter((f) => f !== "45 ms"), ["earlier", "30 ms", "later"]);
  assertEquals(fired.indexOf("later") > fired.indexOf("45 ms"), true, "not fired early");
});

Deno.test("many deadlines: heap order holds through random cancels; clear stops the timer", async () => {
  const deadlines = new Deadlines();
  const fired: number[] = [];
  const now = Date.now();
  const cancels = new Map<number, () => void>();
  for (let i = 0; i < 200; i++) {
    const at = now + 10 + ((i * 37) % 50);
    cancels.set(i, deadlines.add(at, () => fired.push(at)));
  }
  for (let i = 0; i < 200; i += 3) cancels.get(i)!();
  await sleep(120);
  assertEquals(fired.length, 200 - Math.ceil(200 / 3));
  assertEquals(fired, [...fired].sort((a, b) => a - b), "fired in time order");
  deadlines.add(Date.now() + 20, () => fired.push(-1));
  deadlines.add(Date.now() + 60_000, () => fired.push(-2));
  deadlines.clear(); // the test's op sanitizer fails if a timer is left behind
  await sleep(50);
  assertEquals(fired.includes(-1), false, "a cleared deadline never fires");
});
