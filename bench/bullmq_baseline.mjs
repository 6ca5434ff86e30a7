// The BullMQ baseline, run under Node (BullMQ does not load under Deno here).
// Usage: node bullmq_baseline.mjs REDIS_PORT JOBS BATCH LATENCY_RUNS WARMUP_JOBS MODE
// MODE "bulk": one measured bulk round; prints { enqueue_per_s, completed_per_s, bulk_cpu }.
// MODE "rss": 50 000 jobs through one Queue and Worker; prints { rss_mib } after them.
// MODE "rest": the single-call round and the round trips; prints { single_enqueue_per_s,
// single_completed_per_s, p50_ms, p99_ms }. Each run first does its own warm-up round.
// bulk_cpu (null off Linux) says where the bulk round's time went, counted as bench/cpu_usage.ts
// counts ours (both parse with cpu_parse.js): CPU ms of this process and of Redis, and the busy
// share of the machine.
import { readFileSync } from "node:fs";
import { Queue, QueueEvents, Worker } from "bullmq";
import { cpuSpent, machineCpuMs, redisCpuMsOf } from "./cpu_parse.js";

const [port, total, batch, latencyRuns, warmup] = process.argv.slice(2, 7).map(Number);
const mode = process.argv[7] ?? "bulk";
const connection = { host: "127.0.0.1", port };

/** A reading (cpu_parse.js) of this process, Redis and the machine; null off Linux. */
async function readCpu(queue) {
  let machine;
  try {
    machine = machineCpuMs(readFileSync("/proc/stat", "utf8"));
  } catch {
    return null;
  }
  const redis = redisCpuMsOf(await (await queue.client).info("cpu"));
  const self = process.cpuUsage();
  return { processes: [(self.user + self.system) / 1000], redis, ...machine };
}

async function throughput(name, enqueue, total) {
  const queue = new Queue(name, { connection });
  let done = 0;
  let resolveAll;
  const all = new Promise((r) => (resolveAll = r));
  const worker = new Worker(name, () => Promise.resolve(null), {
    connection,
    concurrency: 50,
    autorun: false,
  });
  worker.on("completed", () => {
    if (++done === total) resolveAll();
  });
  await worker.waitUntilReady();
  const before = await readCpu(queue);
  const t0 = performance.now();
  worker.run();
  await enqueue(queue);
  const enqueued = performance.now();
  await all;
  const finished = performance.now();
  const after = await readCpu(queue);
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  return {
    enqueue_per_s: total / ((enqueued - t0) / 1000),
    completed_per_s: total / ((finished - t0) / 1000),
    cpu: cpuSpent(before, after),
  };
}

const addBulk = (count) => async (queue) => {
  for (let i = 0; i < count; i += batch) {
    await queue.addBulk(
      Array.from(
        { length: Math.min(batch, count - i) },
        (_, k) => ({ name: "j", data: { i: i + k } }),
      ),
    );
  }
};
// A warm-up round first, unmeasured, as on our side: both runtimes compile their hot paths.
if (warmup > 0) await throughput("warmup", addBulk(warmup), warmup);
if (mode === "rss") {
  // Memory after 50 000 jobs through one Queue and one Worker in this process.
  await throughput("rss", addBulk(50_000), 50_000);
  console.log(JSON.stringify({ rss_mib: process.memoryUsage().rss / 1024 / 1024 }));
  process.exit(0);
}
if (mode === "bulk") {
  const bulk = await throughput("bulk", addBulk(total), total);
  console.log(JSON.stringify({
    enqueue_per_s: bulk.enqueue_per_s,
    completed_per_s: bulk.completed_per_s,
    bulk_cpu: bulk.cpu,
  }));
  process.exit(0);
}
const single = await throughput("single", async (queue) => {
  let next = 0;
  await Promise.all(Array.from({ length: 50 }, async () => {
    while (next < total) {
      const i = next++;
      await queue.add("j", { i });
    }
  }));
}, total);

// Round trip: add, then wait for the job to finish.
const queue = new Queue("latency", { connection });
const events = new QueueEvents("latency", { connection });
const worker = new Worker("latency", () => Promise.resolve(42), { connection, concurrency: 50 });
await events.waitUntilReady();
await worker.waitUntilReady();
const times = [];
for (let i = 0; i < latencyRuns + 50; i++) {
  const t0 = performance.now();
  const job = await queue.add("j", { i });
  await job.waitUntilFinished(events);
  if (i >= 50) times.push(performance.now() - t0);
}
times.sort((a, b) => a - b);
await worker.close();
await events.close();
await queue.obliterate({ force: true });
await queue.close();
console.log(JSON.stringify({
  single_enqueue_per_s: single.enqueue_per_s,
  single_completed_per_s: single.completed_per_s,
  p50_ms: times[Math.floor(times.length * 0.5)],
  p99_ms: times[Math.floor(times.length * 0.99)],
}));
process.exit(0);
