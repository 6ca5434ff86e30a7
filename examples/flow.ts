/**
 * A flow: three jobs created in one call, each waiting for the one before
 * and reading what it returned (`ctx.deps`), so that a value travels along
 * the chain. Then a delayed job, `scheduled` until its time.
 *
 *     deno run --allow-net --allow-env --allow-read=.hero examples/flow.ts
 *
 * @module
 */

import { JobBuilder, SupervisorClient } from "@hero-supervisor/client";
import { secret, url } from "./_config.ts";

const client = new SupervisorClient(url, { secret });
const flow = crypto.randomUUID().slice(0, 8);

const fetch = new JobBuilder()
  .id(`${flow}-fetch`)
  .runner("default")
  .payload(`export default () => ({ items: [3, 4, 5] });`)
  .build();
const square = new JobBuilder()
  .id(`${flow}-square`)
  .runner("default")
  .dependsOn(fetch.id!)
  .payload(`export default ({ deps }) => deps["${fetch.id}"].items.map((n) => n * n);`)
  .build();
const sum = new JobBuilder()
  .id(`${flow}-sum`)
  .runner("default")
  .dependsOn(square.id!)
  .payload(`export default ({ deps }) => deps["${square.id}"].reduce((a, b) => a + b, 0);`)
  .build();

const ids = await client.jobs.createMany({ jobs: [fetch, square, sum], start: true });
console.log("created", ids.join(" "));
console.log("sum:", JSON.stringify(await client.job.result({ job_id: sum.id!, wait_ms: 30_000 })));

const later = new JobBuilder().runner("default").payload("export default 1").delay(3600).build();
const laterId = await client.jobs.create({ job: later });
await client.job.start({ job_id: laterId });
console.log("later:", (await client.job.status({ job_id: laterId })).status);
await client.job.delete({ job_id: laterId });
