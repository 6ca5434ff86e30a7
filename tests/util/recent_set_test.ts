import { assert, assertEquals } from "../_helpers/assert.ts";
import { RecentSet } from "../../server/util/recent_set.ts";

Deno.test("RecentSet keeps the last `capacity` keys, forgets older ones, and deletes", () => {
  const set = new RecentSet<number>(100);
  for (let i = 0; i < 1000; i++) set.add(i);
  for (let i = 900; i < 1000; i++) assert(set.has(i), `${i} is among the last 100`);
  assert(!set.has(0) && !set.has(700), "old keys are forgotten");
  set.delete(999);
  assert(!set.has(999));
  // Adding a remembered key again keeps it through the next turnover.
  set.add(950);
  for (let i = 1000; i < 1099; i++) set.add(i);
  assertEquals([set.has(950), set.has(951)], [true, false]);
});
