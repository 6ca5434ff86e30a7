/**
 * `deno task bench` (queue part): the queue path of the supervisor against
 * BullMQ 5, on one redis-server started by this run, side by side.
 *
 * - enqueue rate and enqueue→completed rate for 20 000 noop jobs, in bulk
 *   (our JSON-RPC batches vs BullMQ `addBulk`, 1000 per call) and one call at
 *   a time (50 callers vs 50 concurrent `add`), with 50 jobs running at once
 *   on both sides (our noop runner, BullMQ's Worker concurrency 50);
 * - the round trip of one job: our `job.run` over HTTP vs BullMQ's
 *   `add` → `waitUntilFinished`.
 *
 * For the bulk round, each side also says where its time went: CPU per job of
 * Redis and of the queue's own processes (the supervisor and this client on
 * our side, the one Node process on BullMQ's), and how busy the machine was.
 *
 * Each side first runs a warm-up round of bulk jobs, unmeasured, so that
 * both runtimes have compiled their hot paths (the round trips likewise drop
 * their first 50). The bulk round runs `BENCH_ROUNDS` times (5), the two
 * sides taking turns, so that a slow spell of the machine falls on both; the
 * median round of each side is compared, and every round's figures printed.
 *
 * BullMQ runs under Node (it does not load under Deno here), installed into
 * `bench/.baseline/` on first use.
 *
 * @module
 */

import { TestRedis } from "../tests/_helpers/redis_server.ts";
import { SECRETS, SupervisorProcess } from "../tests/_helpers/supervisor.ts";
import { type CpuSpent, cpuSpent, readCpu } from "./cpu_usage.ts";
import { ensureBullmq, runBaseline } from "./bullmq.ts";

const JOBS = Number(Deno.env.get("BENCH_JOBS") ?? 20_000);
const BATCH = 1000;
const LATENCY_RUNS = Number(Deno.env.get("BENCH_LATENCY_RUNS") ?? 1000);
/** Jobs run, unmeasured, before the measured runs, on both sides alike. */
const WARMUP_JOBS = Number(Deno.env.get("BENCH_WARMUP_JOBS") ?? 4000);
/** Bulk rounds per side, taking turns; the median one counts. */
const ROUNDS = Number(Deno.env.get("BENCH_ROUNDS") ?? 5);

interface Rates {
  enqueue_per_s: number;
  completed_per_s: number;
  /** Where the time went (null off Linux). */
  cpu: CpuSpent | null;
}

/** Our processes and Redis, read before and after a round. */
interface Meter {
  pids: number[];
  redisPort: number;
}

async function rpc(url: string, body: unknown): Promise<unknown> {
  const res = await fetch(`${url}/rpc`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${SECRETS.admin}` },
    body: JSON.stringify(body),
  });
  const reply = await res.json();
  if (!Array.isArray(reply) && reply.error) throw new Error(JSON.stringify(reply.error));
  return reply;
}

async function completedCount(url: string): Promise<number> {
  const reply = await rpc(url, { jsonrpc: "2.0", id: 1, method: "get_supervisor_info" }) as {
    result: { jobs: { completed: number } };
  };
  return reply.result.jobs.completed;
}

/**
 * Enqueues `count` jobs with `enqueue` (which returns the id of the last one),
 * and measures until all completed. It waits for the last job's result first
 * (one long poll), and only then counts every 5 ms: polling all along would
 * load the supervisor it measures.
 */
async function ours(
  url: string,
  meter: Meter,
  enqueue: (count: number) => Promise<string>,
  count = JOBS,
): Promise<Rates> {
  const base = await completedCount(url);
  const before = await readCpu(meter.pids, meter.redisPort);
  const t0 = performance.now();
  const last = await enqueue(count);
  const enqueued = performance.now();
  await rpc(url, { jsonrpc: "2.0", id: 1, method: "job.result", params: { job_id: last } });
  while (await completedCount(url) - base < count) await new Promise((r) => setTimeout(r, 5));
  const finished = performance.now();
  return {
    enqueue_per_s: count / ((enqueued - t0) / 1000),
    completed_per_s: count / ((finished - t0) / 1000),
    cpu: cpuSpent(before, await readCpu(meter.pids, meter.redisPort)),
  };
}

/** The bulk round's CPU per job, side by side; nothing when either side has no reading. */
function printCpu(count: number, our: Rates, bull: Rates): void {
  if (!our.cpu || !bull.cpu) return;
  const perJob = (ms: number) => (ms * 1000) / count;
  const own = (cpu: CpuSpent) => perJob(cpu.processes.reduce((a, b) => a + b, 0));
  const rows: [string, (r: Rates) => string][] = [
    ["Redis CPU per job (µs)", (r) => perJob(r.cpu!.redis).toFixed(1)],
    ["the queue's own processes, CPU per job (µs)", (r) => own(r.cpu!).toFixed(1)],
    ["machine busy", (r) => `${Math.round(r.cpu!.busyShare * 100)} %`],
    // Redis runs commands on one thread: one core over its CPU per job bounds the rate.
    ["one Redis core ÷ Redis CPU per job (jobs/s)", (r) => fmt(1e6 / perJob(r.cpu!.redis))],
  ];
  console.log("\nwhere the bulk round's time went (ours: supervisor + this client; BullMQ: Node)");
  console.log("| measure | ours | BullMQ 5 |");
  console.log("| --- | --- | --- |");
  for (const [name, cell] of rows) console.log(`| ${name} | ${cell(our)} | ${cell(bull)} |`);
}

/** Our bulk enqueue: JSON-RPC batches of BATCH calls. */
function enqueueBulk(url: string): (count: number) => Promise<string> {
  return async (count) => {
    let last = "";
    for (let i = 0; i < count; i += BATCH) {
      const replies = await rpc(
        url,
        Array.from({ length: Math.min(BATCH, count - i) }, (_, k) => call(i + k)),
      ) as { result: string }[];
      last = replies.at(-1)!.result;
    }
    return last;
  };
}

const call = (i: number) => ({
  jsonrpc: "2.0",
  id: i,
  method: "queue_job_to_runner",
  params: { runner: "noop", job: { payload: "" } },
});

async function ourLatency(url: string): Promise<{ p50_ms: number; p99_ms: number }> {
  const times: number[] = [];
  for (let i = 0; i < LATENCY_RUNS + 50; i++) {
    const t0 = performance.now();
    await rpc(url, {
      jsonrpc: "2.0",
      id: i,
      method: "job.run",
      params: { job: { runner: "noop", payload: "" } },
    });
    if (i >= 50) times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return {
    p50_ms: times[Math.floor(times.length * 0.5)],
    p99_ms: times[Math.floor(times.length * 0.99)],
  };
}

const fmt = (n: number, unit = "") => `${n.toFixed(n < 10 ? 2 : 0)}${unit}`;

/** One run of the BullMQ baseline under Node (`mode`: "bulk" or "rest"); its JSON line. */
function bullmq(baselineDir: string, redisPort: number, mode: "bulk" | "rest") {
  // deno-lint-ignore no-explicit-any
  return runBaseline<any>(baselineDir, "bullmq_baseline.mjs", [
    String(redisPort),
    String(JOBS),
    String(BATCH),
    String(LATENCY_RUNS),
    String(WARMUP_JOBS),
    mode,
  ]);
}

/** The round with the median completion rate. */
function medianRound(rounds: Rates[]): Rates {
  return [...rounds].sort((a, b) => a.completed_per_s - b.completed_per_s)[rounds.length >> 1];
}

if (import.meta.main) {
  const baselineDir = await ensureBullmq();
  const redis = await TestRedis.start();
  const sup = await SupervisorProcess.start(
    `redis_url = "${redis.url}"\n[[runners]]\nname = "noop"\nkind = "noop"\ninstances = 50\n`,
  );
  const meter = { pids: [sup.pid, Deno.pid], redisPort: redis.port };
  try {
    // A warm-up round first, unmeasured, as on BullMQ's side.
    await ours(sup.url, meter, enqueueBulk(sup.url), WARMUP_JOBS);
    const ourRounds: Rates[] = [];
    const bullRounds: Rates[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      ourRounds.push(await ours(sup.url, meter, enqueueBulk(sup.url)));
      const b = await bullmq(baselineDir, redis.port, "bulk");
      bullRounds.push({
        enqueue_per_s: b.enqueue_per_s,
        completed_per_s: b.completed_per_s,
        cpu: b.bulk_cpu,
      });
    }
    const bulk = medianRound(ourRounds);
    const bullBulk = medianRound(bullRounds);
    const single = await ours(sup.url, meter, async (count) => {
      let next = 0;
      let last = "";
      await Promise.all(Array.from({ length: 50 }, async () => {
        while (next < count) {
          last = (await rpc(sup.url, call(next++)) as { result: string }).result;
        }
      }));
      return last;
    });
    const latency = await ourLatency(sup.url);
    sup.signal("SIGTERM");
    await sup.exited();
    const bull = await bullmq(baselineDir, redis.port, "rest");

    console.log(`\nbulk rounds, enqueue→completed (jobs/s), taking turns:`);
    ourRounds.forEach((r, i) =>
      console.log(
        `  round ${i + 1}: ours ${fmt(r.completed_per_s)}, BullMQ ${
          fmt(bullRounds[i].completed_per_s)
        } (${(r.completed_per_s / bullRounds[i].completed_per_s).toFixed(2)}×)`,
      )
    );
    const rows: [string, number, number, boolean][] = [
      ["bulk enqueue (jobs/s)", bulk.enqueue_per_s, bullBulk.enqueue_per_s, true],
      ["bulk enqueue→completed (jobs/s)", bulk.completed_per_s, bullBulk.completed_per_s, true],
      ["single enqueue (jobs/s)", single.enqueue_per_s, bull.single_enqueue_per_s, true],
      [
        "single enqueue→completed (jobs/s)",
        single.completed_per_s,
        bull.single_completed_per_s,
        true,
      ],
      ["round trip p50 (ms)", latency.p50_ms, bull.p50_ms, false],
      ["round trip p99 (ms)", latency.p99_ms, bull.p99_ms, false],
    ];
    console.log(
      `\nqueue benchmark: ${JOBS} noop jobs, 50 at a time, one redis-server, same run` +
        ` (bulk: the median of ${ROUNDS} rounds per side)`,
    );
    console.log("| measure | ours | BullMQ 5 | ours / BullMQ |");
    console.log("| --- | --- | --- | --- |");
    for (const [name, a, b, higherIsBetter] of rows) {
      const ratio = a / b;
      console.log(
        `| ${name} | ${fmt(a)} | ${fmt(b)} | ${ratio.toFixed(2)}× ${
          higherIsBetter
            ? (ratio >= 1 ? "(faster)" : "(slower)")
            : (ratio <= 1 ? "(lower)" : "(higher)")
        } |`,
      );
    }
    printCpu(JOBS, bulk, bullBulk);
  } finally {
    await sup.kill().catch(() => {});
    await Deno.remove(sup.dataDir, { recursive: true }).catch(() => {});
    await redis.stop();
  }
}
