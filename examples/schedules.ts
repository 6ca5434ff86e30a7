/**
 * Cron schedules: one that fires every second (croner's six-field form,
 * seconds first), watched for three runs, then paused, run once by hand and
 * deleted. Each tick's job is `NAME@TIME`: made once even when several
 * supervisors share the store.
 *
 *     deno run --allow-net --allow-env --allow-read=.hero examples/schedules.ts
 *
 * @module
 */

import { SupervisorClient } from "@hero-supervisor/client";
import { secret, url } from "./_config.ts";

const client = new SupervisorClient(url, { secret });
const name = `heartbeat-${crypto.randomUUID().slice(0, 6)}`;

const made = await client.schedules.create({
  schedule: {
    name,
    cron: "* * * * * *",
    timezone: "UTC",
    job: { runner: "default", payload: "export default () => 'tick';" },
  },
});
console.log(`created ${made.name}: ${made.cron} (${made.timezone}), overlap ${made.overlap}`);

let schedule = made;
while (schedule.runs.filter((r) => r.job_id).length < 3) {
  await new Promise((resolve) => setTimeout(resolve, 200));
  schedule = await client.schedules.get({ name });
}
const last = schedule.runs.find((r) => r.job_id)!;
console.log("3 runs; the last:", JSON.stringify(await client.job.result({ job_id: last.job_id! })));

const paused = await client.schedules.pause({ name });
console.log("paused, next run:", paused.next_run_at);
const manual = await client.schedules.trigger({ name });
console.log("ran by hand:", manual.startsWith(`${name}@manual-`));
await client.schedules.delete({ name });
console.log("deleted");
