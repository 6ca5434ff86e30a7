/**
 * The rolling time series behind `get_stats`, on a fake clock.
 *
 * @module
 */

import { assertEquals } from "../_helpers/assert.ts";
import { JobStats } from "../../server/metrics/job_stats.ts";

Deno.test("JobStats: counts per bucket, percentiles, empty buckets listed, old ones dropped", () => {
  let now = 1_000_000_000_000; // a bucket boundary
  const stats = new JobStats({ bucketMs: 10_000, keepMinutes: 1, now: () => now });
  for (let ms = 1; ms <= 100; ms++) stats.record("completed", ms);
  stats.record("failed", 500);
  now += 25_000; // two buckets later
  stats.record("timeout", 7);

  const buckets = stats.buckets(1);
  assertEquals(buckets.length, 6);
  assertEquals(
    buckets.map((b) => b.start),
    [-5, -4, -3, -2, -1, 0].map((i) => now - 5_000 + i * 10_000),
  );
  const [first, , third] = buckets.slice(-3);
  assertEquals([first.completed, first.failed, first.run_p50_ms, first.run_p95_ms], [
    100,
    1,
    51,
    96,
  ]);
  assertEquals(buckets.at(-2)!.run_p50_ms, undefined, "an empty bucket has no percentiles");
  assertEquals([third.timeout, third.run_p50_ms], [1, 7]);

  // Past the kept window, the old bucket is gone once a new one starts.
  now += 120_000;
  stats.record("stopped", 1);
  const later = stats.buckets(5);
  assertEquals(later.reduce((n, b) => n + b.completed + b.failed + b.timeout, 0), 0);
  assertEquals(later.at(-1)!.stopped, 1);
});

Deno.test("JobStats: past maxSamples, percentiles come from a uniform sample", () => {
  const stats = new JobStats({ maxSamples: 200, now: () => 0 });
  for (let i = 0; i < 10_000; i++) stats.record("completed", i % 1000);
  const [bucket] = stats.buckets(0.1);
  assertEquals(bucket.completed, 10_000);
  // A sample of 200 of a uniform 0-999: the median is near 500.
  const p50 = bucket.run_p50_ms!;
  if (p50 < 300 || p50 > 700) throw new Error(`p50 ${p50} is not near 500`);
});
