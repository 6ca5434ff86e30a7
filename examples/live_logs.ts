/**
 * Live logs: start a job that prints as it goes, and print its lines as they
 * come (Server-Sent Events read with `fetch`, resuming after a dropped
 * connection).
 *
 *     deno run --allow-net --allow-env --allow-read=.hero examples/live_logs.ts
 *
 * @module
 */

import { SupervisorClient } from "@hero-supervisor/client";
import { secret, url } from "./_config.ts";

const client = new SupervisorClient(url, { secret });

const jobId = await client.jobs.create({
  job: {
    runner: "default",
    payload: `
      for (let step = 1; step <= 5; step++) {
        console.log("step " + step + " of 5");
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      console.error("a line on stderr");
      export default "all steps done";
    `,
  },
});
await client.job.start({ job_id: jobId });

// The stream yields the lines so far, then live ones, and ends when the job is final.
for await (const line of client.job.logs.stream(jobId)) {
  console.log(`[${line.stream} #${line.seq}] ${line.line}`);
}
console.log("result:", JSON.stringify(await client.job.result({ job_id: jobId })));
