/**
 * `deno task bench` (retention part): 100 000 noop jobs through a supervisor
 * whose config keeps the newest 1000 completed jobs (`[keep] completed =
 * { count = 1000 }`), on the embedded store and on Redis. Prints the store's
 * size as the stream goes (the SQLite file with its WAL; Redis's
 * `used_memory` and key count), next to the same stream with no count: the
 * size stays flat with retention, and grows without it.
 *
 *     deno run -A bench/retention.ts        (BENCH_JOBS to change 100 000)
 *
 * @module
 */

import { TestRedis } from "../tests/_helpers/redis_server.ts";
import { SupervisorProcess } from "../tests/_helpers/supervisor.ts";

const JOBS = Number(Deno.env.get("BENCH_JOBS") ?? 100_000);
const BATCH = 1000;
const MARKS = 4;

const mib = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MiB`;

async function fileSize(dir: string): Promise<number> {
  let total = 0;
  for (const name of ["supervisor.db", "supervisor.db-wal"]) {
    total += await Deno.stat(`${dir}/${name}`).then((s) => s.size, () => 0);
  }
  return total;
}

async function redisCli(redis: TestRedis, ...args: string[]): Promise<string> {
  const out = await new Deno.Command("redis-cli", {
    args: ["-p", String(redis.port), ...args],
    stdout: "piped",
  }).output();
  return new TextDecoder().decode(out.stdout).trim();
}

async function redisSize(redis: TestRedis): Promise<string> {
  const info = await redisCli(redis, "INFO", "memory");
  const used = Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);
  return `${mib(used)}, ${await redisCli(redis, "DBSIZE")} keys`;
}

/** Runs the stream; prints the size at each mark. */
async function stream(
  label: string,
  toml: string,
  sizeOf: (sup: SupervisorProcess) => Promise<string>,
) {
  const sup = await SupervisorProcess.start(
    toml + `[[runners]]\nname = "noop"\nkind = "noop"\ninstances = 50\n`,
  );
  const size = () => sizeOf(sup);
  try {
    const sizes = [`0: ${await size()}`];
    const t0 = performance.now();
    for (let done = 0; done < JOBS;) {
      const ids = await sup.admin.call("jobs.create_many", {
        jobs: Array.from({ length: BATCH }, () => ({ runner: "noop", payload: "" })),
        start: true,
      }) as string[];
      await sup.admin.call("job.result", { job_id: ids.at(-1), wait_ms: 60_000 });
      done += BATCH;
      if (done % (JOBS / MARKS) === 0) sizes.push(`${done}: ${await size()}`);
    }
    const seconds = (performance.now() - t0) / 1000;
    // The sweeper runs every second: give it one more pass, then look again.
    await new Promise((r) => setTimeout(r, 2500));
    const counts = (await sup.admin.call("get_supervisor_info", {}) as {
      jobs: { completed: number; total: number };
    }).jobs;
    sizes.push(`after: ${await size()}`);
    console.log(
      `| ${label} | ${sizes.join(" → ")} | ${counts.completed} completed kept | ${
        (JOBS / seconds).toFixed(0)
      } jobs/s |`,
    );
  } finally {
    sup.signal("SIGTERM");
    await sup.exited();
    await Deno.remove(sup.dataDir, { recursive: true }).catch(() => {});
  }
}

console.log(`retention: ${JOBS} noop jobs in batches of ${BATCH} (jobs.create_many)\n`);
console.log("| store, keep | size at 0 → … → after | kept | rate |");
console.log("| --- | --- | --- | --- |");
const redis = await TestRedis.start();
try {
  const keep = `[keep]\ncompleted = { count = 1000 }\n`;
  for (const [label, toml] of [["embedded, count 1000", keep], ["embedded, no count", ""]]) {
    await stream(label, toml, (sup) => fileSize(sup.dataDir).then(mib));
  }
  for (const [label, toml] of [["redis, count 1000", keep], ["redis, no count", ""]]) {
    await redisCli(redis, "FLUSHALL");
    await stream(label, `redis_url = "${redis.url}"\n` + toml, () => redisSize(redis));
  }
} finally {
  await redis.stop();
}
