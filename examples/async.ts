/**
 * The asynchronous flow: create a job, start it, poll its status, then read
 * its result. The job is built with `JobBuilder`.
 *
 *     deno run --allow-net --allow-env --allow-read=.hero examples/async.ts
 *
 * @module
 */

import { JobBuilder, type JobStatus, SupervisorClient } from "@hero-supervisor/client";
import { secret, url } from "./_config.ts";

const client = new SupervisorClient(url, { secret });

const job = new JobBuilder()
  .runner("default")
  .payload(`
    await new Promise((resolve) => setTimeout(resolve, 300));
    export default () => [1, 2, 3].map((n) => n * n);
  `)
  .callerId("examples/async")
  .timeout(30)
  .build();

const jobId = await client.jobs.create({ job });
console.log("created", jobId);
await client.job.start({ job_id: jobId });
console.log("started");

const FINAL: JobStatus[] = ["completed", "failed", "stopped", "timeout"];
let status: JobStatus;
do {
  await new Promise((resolve) => setTimeout(resolve, 100));
  status = (await client.job.status({ job_id: jobId })).status;
  console.log("status:", status);
} while (!FINAL.includes(status));

console.log("result:", JSON.stringify(await client.job.result({ job_id: jobId })));
