/**
 * Generated job ids: UUIDs of version 7 that sort in the order they were
 * made (the embedded store's id index grows at its end), with the clock
 * given by the test, thousands in one ms and a clock that steps back
 * included, and none twice.
 */

import { assert, assertEquals, assertMatch } from "../_helpers/assert.ts";
import { newJobId } from "../../server/jobs/job_id.ts";

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

Deno.test("generated job ids are UUIDv7s in the order they were made, never twice", () => {
  const start = Date.UTC(2026, 11, 7);
  const ids: string[] = [];
  // 10 000 in one ms (past the 4096 the counter holds), then a clock that steps back a second,
  // then time moving on.
  for (let i = 0; i < 10_000; i++) ids.push(newJobId(start));
  for (let i = 0; i < 100; i++) ids.push(newJobId(start - 1000));
  for (let i = 0; i < 100; i++) ids.push(newJobId(start + 60_000 + i));
  for (const id of ids) assertMatch(id, UUID_V7);
  assertEquals(new Set(ids).size, ids.length, "an id made twice");
  const sorted = [...ids].sort();
  assert(sorted.every((id, i) => id === ids[i]), "ids out of the order they were made");
  // The first 48 bits are the time, in ms.
  const ms = (id: string) => parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
  assertEquals(ms(ids.at(-1)!), start + 60_099);
  assert(ms(ids[0]) >= start);
});
