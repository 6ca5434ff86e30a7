/**
 * Two supervisors on one Redis, one `* * * * * *` schedule: each second
 * fires exactly once across both, for 20 s (counted by the jobs made: one
 * per second, no second twice, none missing between the first and the last).
 */

import type { Job } from "../../shared/types.generated.ts";
import { assert, assertEquals, eventually } from "../_helpers/assert.ts";
import { TestRedis } from "../_helpers/redis_server.ts";
import { startSupervisor } from "../_helpers/supervisor.ts";

Deno.test("a schedule on two supervisors fires once per tick across both, for 20 ticks", async () => {
  const redis = await TestRedis.start();
  try {
    const runners = [{ name: "noop", kind: "noop" as const, instances: 4 }];
    await using a = await startSupervisor({ redis_url: redis.url, runners });
    await using b = await startSupervisor({ redis_url: redis.url, runners });
    await a.admin.call("schedules.create", {
      schedule: {
        name: "every-second",
        cron: "* * * * * *",
        job: { runner: "noop", payload: "x" },
      },
    });
    const ticks = async () => {
      const jobs = await b.admin.call<Job[]>("jobs.list", { runner: "noop", limit: 1000 });
      return jobs.filter((j) => j.id.startsWith("every-second@"));
    };
    await eventually(async () => (await ticks()).length >= 20, 60_000, "20 ticks");
    await b.admin.call("schedules.delete", { name: "every-second" });
    const jobs = await ticks();
    const seconds = jobs.map((j) => Date.parse(j.id.slice("every-second@".length)) / 1000)
      .sort((x, y) => x - y);
    assertEquals(new Set(seconds).size, seconds.length, "no tick fired twice");
    const span = seconds.at(-1)! - seconds[0] + 1;
    assertEquals(seconds.length, span, "no tick missed between the first and the last");
    assert(seconds.length >= 20);
    // Each tick is recorded once in the schedule's runs too (the compare-and-set).
    const events = await a.admin.call<{ events: { type: string; subject: string }[] }>(
      "events.list",
      { type: "job.queued", limit: 1000 },
    );
    const queued = events.events.filter((e) => e.subject.startsWith("every-second@"));
    assertEquals(new Set(queued.map((e) => e.subject)).size, queued.length);
  } finally {
    await redis.stop();
  }
});
