/**
 * Quickstart: run a script as a job and print its result.
 *
 *     deno task serve        # in another terminal
 *     deno run --allow-net --allow-env --allow-read=.hero examples/quickstart.ts
 *
 * @module
 */

import { SupervisorClient } from "@hero-supervisor/client";
import { secret, url } from "./_config.ts";

const client = new SupervisorClient(url, { secret });

// `job.run` stores the job, queues it, waits for it to finish and returns its
// result: `{ success: value }` or `{ error: message }`.
const result = await client.job.run({
  job: {
    runner: "default",
    payload: `
      export default ({ job }) => ({
        greeting: "hello from job " + job.id,
        answer: 6 * 7,
      });
    `,
  },
});

console.log("result:", JSON.stringify(result));
