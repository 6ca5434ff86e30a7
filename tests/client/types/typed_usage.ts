// Type-level test of the client: it compiles only if every correct use
// type-checks AND every line after `@ts-expect-error` is an error (an unused
// `@ts-expect-error` is itself an error). Checked by `types_test.ts`: on the
// source with `deno check` (deno.json maps the package name to client/mod.ts),
// and on the bundled `.d.ts` with TypeScript.
import { type JobResult, type JobStatusInfo, SupervisorClient } from "@hero-supervisor/client";

export async function typedUsage(client: SupervisorClient): Promise<void> {
  // Correct uses.
  const id: string = await client.jobs.create({ job: { runner: "r", payload: "p" } });
  const status: JobStatusInfo = await client.job.status({ job_id: id });
  const state:
    | "created"
    | "scheduled"
    | "queued"
    | "running"
    | "completed"
    | "failed"
    | "stopped"
    | "timeout" = status.status;
  const result: JobResult = await client.job.result({ job_id: id, wait_ms: 10 });
  const names: string[] = await client.listRunners();
  await client.scaleRunner({ name: "r", instances: 2 }, { timeoutMs: 500 });
  for await (const line of client.job.logs.stream(id)) {
    const text: string = line.line;
    const seq: number = line.seq;
    void [text, seq];
  }
  void [state, result, names];

  // @ts-expect-error: a misspelled param (`job_idd`)
  await client.job.status({ job_idd: id });
  // @ts-expect-error: a missing required param (`payload`)
  await client.jobs.create({ job: { runner: "r" } });
  // @ts-expect-error: a param of the wrong type
  await client.job.result({ job_id: id, wait_ms: "10" });
  // @ts-expect-error: a result used with the wrong type (a status is not a number)
  const wrong: number = (await client.job.status({ job_id: id })).status;
  // @ts-expect-error: a result used with the wrong type (list_runners gives names)
  const notNumbers: number[] = await client.listRunners();
  // @ts-expect-error: a method that does not exist
  await client.job.restart({ job_id: id });
  // @ts-expect-error: a status that does not exist
  await client.jobs.list({ status: "done" });
  // @ts-expect-error: a log line has no `text`
  for await (const line of client.job.logs.stream(id)) void line.text;
  void [wrong, notNumbers];
}
