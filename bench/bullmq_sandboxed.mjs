// The BullMQ sandboxed-processor baseline, run under Node (BullMQ does not load under Deno here):
// a Worker with a processor file, in child processes (not worker threads), `concurrency` at once.
// Usage: node bullmq_sandboxed.mjs REDIS_PORT CONCURRENCY JOBS LATENCY_RUNS [WARMUP_JOBS]
// Prints { per_s, p50_ms, p99_ms }: jobs/s for JOBS added in bulk and waited for, and the
// round trip of one job (added, then waited for until finished) done LATENCY_RUNS times in a row.
import { Queue, QueueEvents, Worker } from "bullmq";

const [port, concurrency, jobs, latencyRuns, warmup] = process.argv.slice(2, 7).map(Number);
const connection = { host: "127.0.0.1", port };
const name = `sandboxed-${process.pid}`;
const queue = new Queue(name, { connection });
const events = new QueueEvents(name, { connection });
await events.waitUntilReady();
const processor = new URL("./bullmq_processor.mjs", import.meta.url).pathname;
const worker = new Worker(name, processor, { connection, concurrency, useWorkerThreads: false });
await worker.waitUntilReady();

let completed = 0;
let wake = () => {};
worker.on("completed", () => {
  completed++;
  wake();
});
async function bulk(count) {
  const target = completed + count;
  const done = new Promise((r) => (wake = () => completed >= target && r()));
  for (let i = 0; i < count; i += 1000) {
    await queue.addBulk(
      Array.from(
        { length: Math.min(1000, count - i) },
        (_, k) => ({ name: "j", data: { i: i + k } }),
      ),
    );
  }
  await done;
}
// Warm-up: every child process started and its processor loaded, as our sessions are warm, and
// the hot paths compiled, as in our long-running supervisor (measured: 80 jobs of warm-up left
// this process 20-30% slower than 2 000 did).
await bulk(warmup || concurrency * 20);
const t0 = performance.now();
await bulk(jobs);
const perS = jobs / ((performance.now() - t0) / 1000);
const times = [];
for (let i = 0; i < latencyRuns + 10; i++) {
  const s = performance.now();
  const job = await queue.add("j", { i });
  await job.waitUntilFinished(events);
  if (i >= 10) times.push(performance.now() - s);
}
times.sort((a, b) => a - b);
const pct = (p) => times[Math.min(times.length - 1, Math.floor(times.length * p))];
await worker.close();
await events.close();
await queue.obliterate({ force: true });
await queue.close();
console.log(JSON.stringify({ per_s: perS, p50_ms: pct(0.5), p99_ms: pct(0.99) }));
