/**
 * `deno task bench` (delayed jobs): how late a job with a `run_at` starts.
 * 500 noop jobs with `run_at` spread over the next 10 s, on the embedded
 * store and on Redis; each job's lateness is `started_at - run_at`. Prints
 * the distribution (the target: every due job started within 1 s).
 *
 *     deno run -A bench/delayed.ts
 *
 * @module
 */

import { TestRedis } from "../tests/_helpers/redis_server.ts";
import { SupervisorProcess } from "../tests/_helpers/supervisor.ts";

const JOBS = 500;
const SPREAD_MS = 10_000;

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];

async function lateness(label: string, toml: string): Promise<void> {
  const sup = await SupervisorProcess.start(
    toml + `[[runners]]\nname = "noop"\nkind = "noop"\ninstances = 16\n`,
  );
  try {
    const start = Date.now() + 1000;
    const ids = await sup.admin.call("jobs.create_many", {
      jobs: Array.from({ length: JOBS }, (_, i) => ({
        runner: "noop",
        payload: "",
        run_at: start + Math.floor((i * SPREAD_MS) / JOBS),
      })),
      start: true,
    }) as string[];
    await sup.admin.call("job.result", { job_id: ids.at(-1), wait_ms: 60_000 });
    const late: number[] = [];
    for (const id of ids) {
      const job = await sup.admin.call("job.get", { job_id: id }) as {
        started_at: number;
        run_at: number;
      };
      late.push(job.started_at - job.run_at);
    }
    late.sort((a, b) => a - b);
    const within = late.filter((ms) => ms <= 1000).length;
    console.log(
      `| ${label} | ${pct(late, 0.5)} | ${pct(late, 0.9)} | ${pct(late, 0.99)} | ${late.at(-1)} | ${
        late[0]
      } | ${within}/${JOBS} |`,
    );
  } finally {
    sup.signal("SIGTERM");
    await sup.exited();
    await Deno.remove(sup.dataDir, { recursive: true }).catch(() => {});
  }
}

console.log(`delayed jobs: ${JOBS} with run_at spread over ${SPREAD_MS / 1000} s\n`);
console.log("| store | p50 ms late | p90 | p99 | max | min | started within 1 s |");
console.log("| --- | --- | --- | --- | --- | --- | --- |");
const redis = await TestRedis.start();
try {
  await lateness("embedded", "");
  await lateness("redis", `redis_url = "${redis.url}"\n`);
} finally {
  await redis.stop();
}
