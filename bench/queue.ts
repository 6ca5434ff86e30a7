/**
 * `deno task bench` (queue part): the queue path of the supervisor against
 * BullMQ 5, on one redis-server started by this run, side by side.
 *
 * - enqueue rate and enqueue→completed rate for 20 000 noop jobs, in bulk
 *   (our `jobs.create_many` vs BullMQ `addBulk`, 1000 per call) and one call at
 *   a time (50 callers vs 50 concurrent `add`), with 50 jobs running at once
 *   on both sides (our noop runner, BullMQ's Worker concurrency 50);
 * - the round trip of one job: our `job.run` over HTTP vs BullMQ's
 *   `add` → `waitUntilFinished`;
 * - all of the above on both of our stores: Redis (the same redis-server as
 *   BullMQ) and the embedded SQLite store, the bulk rounds of all three
 *   interleaved; on the embedded store also `jobs.create` + `job.start`;
 * - the API path: `job.status` requests/s with 32 connections (wrk, when
 *   installed) against a bare `Deno.serve` answering a fixed JSON body, in
 *   alternating rounds;
 * - memory: the embedded supervisor's RSS after 50 000 jobs, against a
 *   BullMQ worker process's after as many.
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
import { freePort } from "../tests/_helpers/ports.ts";
import { median } from "./stats.ts";
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

/** Our bulk enqueue: `jobs.create_many` of BATCH jobs, started (one call, one store trip). */
function enqueueBulk(url: string): (count: number) => Promise<string> {
  return async (count) => {
    let last = "";
    for (let i = 0; i < count; i += BATCH) {
      const reply = await rpc(url, {
        jsonrpc: "2.0",
        id: i,
        method: "jobs.create_many",
        params: {
          jobs: Array.from({ length: Math.min(BATCH, count - i) }, () => NOOP_JOB),
          start: true,
        },
      }) as { result: string[] };
      last = reply.result.at(-1)!;
    }
    return last;
  };
}

const NOOP_JOB = { runner: "noop", payload: "" };

/** One job, one call (the single-enqueue figure). */
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

/** One run of the BullMQ baseline under Node (`mode`: "bulk", "rest" or "rss"); its JSON line. */
function bullmq(baselineDir: string, redisPort: number, mode: "bulk" | "rest" | "rss") {
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

/** Our enqueue by `jobs.create` then `job.start`, batches of BATCH each. */
function enqueueCreateStart(url: string): (count: number) => Promise<string> {
  return async (count) => {
    let last = "";
    for (let i = 0; i < count; i += BATCH) {
      const size = Math.min(BATCH, count - i);
      const created = await rpc(
        url,
        Array.from({ length: size }, (_, k) => ({
          jsonrpc: "2.0",
          id: k,
          method: "jobs.create",
          params: { job: { runner: "noop", payload: "" } },
        })),
      ) as { result: string }[];
      await rpc(
        url,
        created.map((c, k) => ({
          jsonrpc: "2.0",
          id: k,
          method: "job.start",
          params: { job_id: c.result },
        })),
      );
      last = created.at(-1)!.result;
    }
    return last;
  };
}

/** requests/s of `body` POSTed to `url` by wrk, 32 connections; null without wrk. */
async function wrkRate(url: string, body: string, secret?: string): Promise<number | null> {
  const script = await Deno.makeTempFile({ suffix: ".lua" });
  await Deno.writeTextFile(
    script,
    `wrk.method = "POST"\nwrk.body = ${JSON.stringify(body)}\n` +
      `wrk.headers["Content-Type"] = "application/json"\n` +
      (secret ? `wrk.headers["Authorization"] = "Bearer ${secret}"\n` : ""),
  );
  try {
    const out = await new Deno.Command("wrk", {
      args: ["-t2", "-c32", "-d4s", "-s", script, url],
      stdout: "piped",
      stderr: "null",
    }).output();
    const match = new TextDecoder().decode(out.stdout).match(/Requests\/sec:\s+([\d.]+)/);
    return match ? Number(match[1]) : null;
  } catch {
    return null; // No wrk here.
  } finally {
    await Deno.remove(script);
  }
}

/** A process's resident memory, MiB (Linux). */
function rssMib(pid: number): number {
  const kb = Deno.readTextFileSync(`/proc/${pid}/status`).match(/VmRSS:\s+(\d+)/)![1];
  return Number(kb) / 1024;
}

const STORES = ["redis", "embedded"] as const;
type Side = (typeof STORES)[number] | "embedded, jobs.create + job.start" | "BullMQ 5";

if (import.meta.main) {
  const baselineDir = await ensureBullmq();
  const redis = await TestRedis.start();
  const noop = `[[runners]]\nname = "noop"\nkind = "noop"\ninstances = 50\n`;
  const sups = {
    redis: await SupervisorProcess.start(`redis_url = "${redis.url}"\n${noop}`),
    embedded: await SupervisorProcess.start(noop),
  };
  const meter = (store: (typeof STORES)[number]) => ({
    pids: [sups[store].pid, Deno.pid],
    redisPort: redis.port,
  });
  let bare: Deno.ChildProcess | null = null;
  try {
    // A warm-up round first, unmeasured, as on BullMQ's side.
    for (const store of STORES) {
      await ours(sups[store].url, meter(store), enqueueBulk(sups[store].url), WARMUP_JOBS);
    }
    const rounds: Record<Side, Rates[]> = {
      "redis": [],
      "embedded": [],
      "embedded, jobs.create + job.start": [],
      "BullMQ 5": [],
    };
    const sides: [Side, () => Promise<Rates>][] = [
      ["redis", () => ours(sups.redis.url, meter("redis"), enqueueBulk(sups.redis.url))],
      [
        "embedded",
        () => ours(sups.embedded.url, meter("embedded"), enqueueBulk(sups.embedded.url)),
      ],
      [
        "embedded, jobs.create + job.start",
        () => ours(sups.embedded.url, meter("embedded"), enqueueCreateStart(sups.embedded.url)),
      ],
      ["BullMQ 5", async () => {
        const b = await bullmq(baselineDir, redis.port, "bulk");
        return {
          enqueue_per_s: b.enqueue_per_s,
          completed_per_s: b.completed_per_s,
          cpu: b.bulk_cpu,
        };
      }],
    ];
    for (let round = 0; round < ROUNDS; round++) {
      // Each side goes first in turn: the machine drifts.
      for (let i = 0; i < sides.length; i++) {
        const [name, measure] = sides[(i + round) % sides.length];
        rounds[name].push(await measure());
      }
    }
    const single = {} as Record<(typeof STORES)[number], Rates>;
    const latency = {} as Record<(typeof STORES)[number], { p50_ms: number; p99_ms: number }>;
    for (const store of STORES) {
      const url = sups[store].url;
      single[store] = await ours(url, meter(store), async (count) => {
        let next = 0;
        let last = "";
        await Promise.all(Array.from({ length: 50 }, async () => {
          while (next < count) last = (await rpc(url, call(next++)) as { result: string }).result;
        }));
        return last;
      });
      latency[store] = await ourLatency(url);
    }

    // The API path: job.status of a job that exists, against a bare Deno.serve, alternating.
    const port = freePort();
    bare = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL("./bare_server.ts", import.meta.url).pathname, String(port)],
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    await bare.stdout.pipeThrough(new TextDecoderStream()).getReader().read();
    const jobId = (await rpc(sups.embedded.url, call(0)) as { result: string }).result;
    const status = JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "job.status",
      params: { job_id: jobId },
    });
    const statusRates: { ours: number; bare: number }[] = [];
    for (let round = 0; round < 3; round++) {
      const o = await wrkRate(`${sups.embedded.url}/rpc`, status, SECRETS.admin);
      const b = await wrkRate(`http://127.0.0.1:${port}/`, status);
      if (o === null || b === null) break;
      statusRates.push({ ours: o, bare: b });
    }

    // Memory after 50 000 jobs: a fresh embedded supervisor, and BullMQ's worker process.
    const fresh = await SupervisorProcess.start(noop);
    let rss: { ours: number; bull: number };
    try {
      await ours(
        fresh.url,
        { pids: [fresh.pid], redisPort: redis.port },
        enqueueBulk(fresh.url),
        50_000,
      );
      const ourRss = rssMib(fresh.pid);
      const b = await bullmq(baselineDir, redis.port, "rss");
      rss = { ours: ourRss, bull: b.rss_mib };
    } finally {
      await fresh.kill().catch(() => {});
      await Deno.remove(fresh.dataDir, { recursive: true }).catch(() => {});
    }
    const bull = await bullmq(baselineDir, redis.port, "rest");

    const bullBulk = medianRound(rounds["BullMQ 5"]);
    console.log(`\nbulk rounds, enqueue→completed (jobs/s), the sides taking turns:`);
    console.log(`| round | ${Object.keys(rounds).join(" | ")} |`);
    console.log(`| --- | ${Object.keys(rounds).map(() => "---").join(" | ")} |`);
    for (let r = 0; r < ROUNDS; r++) {
      console.log(
        `| ${r + 1} | ${
          Object.values(rounds).map((xs) => fmt(xs[r].completed_per_s)).join(" | ")
        } |`,
      );
    }
    console.log(
      `\nqueue benchmark: ${JOBS} noop jobs, 50 at a time, one redis-server, same run` +
        ` (bulk: the median of ${ROUNDS} rounds per side, with its spread)`,
    );
    console.log("| measure | ours | BullMQ 5 | ours / BullMQ |");
    console.log("| --- | --- | --- | --- |");
    const row = (name: string, a: number, b: number, higherIsBetter: boolean, extra = "") => {
      const ratio = a / b;
      console.log(
        `| ${name} | ${fmt(a)}${extra} | ${fmt(b)} | ${ratio.toFixed(2)}× ${
          higherIsBetter
            ? (ratio >= 1 ? "(faster)" : "(slower)")
            : (ratio <= 1 ? "(lower)" : "(higher)")
        } |`,
      );
    };
    for (const side of ["redis", "embedded", "embedded, jobs.create + job.start"] as const) {
      const m = medianRound(rounds[side]);
      const xs = rounds[side].map((r) => r.completed_per_s);
      row(`bulk enqueue (jobs/s), ${side}`, m.enqueue_per_s, bullBulk.enqueue_per_s, true);
      row(
        `bulk enqueue→completed (jobs/s), ${side}`,
        m.completed_per_s,
        bullBulk.completed_per_s,
        true,
        ` (${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))})`,
      );
    }
    for (const store of STORES) {
      row(
        `single enqueue (jobs/s), ${store}`,
        single[store].enqueue_per_s,
        bull.single_enqueue_per_s,
        true,
      );
      row(
        `single enqueue→completed (jobs/s), ${store}`,
        single[store].completed_per_s,
        bull.single_completed_per_s,
        true,
      );
      row(`round trip p50 (ms), ${store}`, latency[store].p50_ms, bull.p50_ms, false);
      row(`round trip p99 (ms), ${store}`, latency[store].p99_ms, bull.p99_ms, false);
    }
    console.log(
      `\nembedded job.run p99 ÷ Redis job.run p99: ${
        (latency.embedded.p99_ms / latency.redis.p99_ms).toFixed(2)
      }×`,
    );
    if (statusRates.length) {
      const o = median(statusRates.map((r) => r.ours));
      const b = median(statusRates.map((r) => r.bare));
      console.log(
        `job.status, 32 connections (wrk), embedded: ${fmt(o)} req/s; a bare Deno.serve: ${
          fmt(b)
        } req/s; ${(o / b).toFixed(2)}× (median of ${statusRates.length} alternating rounds: ${
          statusRates.map((r) => (r.ours / r.bare).toFixed(2)).join(", ")
        })`,
      );
    } else {
      console.log("job.status against a bare Deno.serve: skipped (wrk is not installed)");
    }
    console.log(
      `RSS after 50 000 jobs: the embedded supervisor ${rss.ours.toFixed(0)} MiB, a BullMQ ` +
        `worker process ${rss.bull.toFixed(0)} MiB: ${(rss.ours / rss.bull).toFixed(2)}×`,
    );
    printCpu(JOBS, medianRound(rounds.redis), bullBulk);
  } finally {
    bare?.kill();
    await bare?.status;
    for (const sup of Object.values(sups)) {
      await sup.kill().catch(() => {});
      await Deno.remove(sup.dataDir, { recursive: true }).catch(() => {});
    }
    await redis.stop();
  }
}
