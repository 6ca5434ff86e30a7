/**
 * `deno task bench` (isolation part): script jobs at queue speed. Both
 * isolation levels, on the embedded store and on Redis, next to BullMQ's
 * sandboxed processor (a processor file in child processes, the same
 * concurrency, the same redis-server), in interleaved rounds (the order
 * rotates), medians with their spread:
 *
 * - throughput: `JOBS` jobs submitted at once (ours: `job.run` in JSON-RPC
 *   batches of 50; BullMQ: `addBulk`), until the last completed;
 * - latency: one job at a time, submitted and waited for, back to back;
 * - a flow: a chain of 40 jobs, each `depends_on` the one before;
 * - 100 back-to-back `job.run` on a runner-isolated runner of 2 instances,
 *   against a cold `deno run` of the same module, measured in the same run.
 *
 * Both sides run `JOBS` jobs unmeasured first, so that what is compared is
 * their steady state: our supervisor once, BullMQ's process (which starts
 * afresh every round) every round.
 *
 * @module
 */

import type { RpcCaller } from "../tests/_helpers/rpc.ts";
import { TestRedis } from "../tests/_helpers/redis_server.ts";
import { SupervisorProcess } from "../tests/_helpers/supervisor.ts";
import { ensureBullmq, runBaseline } from "./bullmq.ts";
import { median, pct, spread } from "./stats.ts";

const MODULE = "export default () => 42;\n";
const CONCURRENCY = Number(Deno.env.get("BENCH_CONCURRENCY") ?? 4);
const JOBS = Number(Deno.env.get("BENCH_ISOLATION_JOBS") ?? 2000);
/** Jobs of the job-isolation throughput round: each one is a process start. */
const JOB_MODE_JOBS = Number(Deno.env.get("BENCH_JOB_MODE_JOBS") ?? 100);
const LATENCY_RUNS = Number(Deno.env.get("BENCH_LATENCY_RUNS") ?? 200);
const ROUNDS = Number(Deno.env.get("BENCH_ROUNDS") ?? 3);

interface Sample {
  perS: number;
  p50: number;
  p99: number;
}

/** `count` jobs at once in JSON-RPC batches of 50, until all answered: jobs/s. */
async function throughput(rpc: RpcCaller, runner: string, count: number): Promise<number> {
  const t0 = performance.now();
  await Promise.all(Array.from({ length: Math.ceil(count / 50) }, async (_, b) => {
    const size = Math.min(50, count - b * 50);
    const calls = Array.from({ length: size }, (_, id) => ({
      jsonrpc: "2.0",
      id,
      method: "job.run",
      params: { job: { runner, payload: MODULE } },
    }));
    const { body } = await rpc.raw(JSON.stringify(calls));
    const replies = body as { result?: { success?: number } }[];
    if (replies.some((r) => r.result?.success !== 42)) throw new Error(JSON.stringify(replies));
  }));
  return count / ((performance.now() - t0) / 1000);
}

/** `runs` jobs one after the other, each submitted and waited for: sorted ms. */
async function roundTrips(rpc: RpcCaller, runner: string, runs: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < runs + 10; i++) {
    const t0 = performance.now();
    const r = await rpc.call<{ success?: number }>("job.run", {
      job: { runner, payload: MODULE },
    });
    if (r.success !== 42) throw new Error(JSON.stringify(r));
    if (i >= 10) times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b);
}

async function measure(rpc: RpcCaller, runner: string, jobs: number, runs: number) {
  const perS = await throughput(rpc, runner, jobs);
  const times = await roundTrips(rpc, runner, runs);
  return { perS, p50: pct(times, 0.5), p99: pct(times, 0.99) };
}

/** A chain of 40 jobs, each depending on the one before: seconds until the last is done. */
async function chain(rpc: RpcCaller, runner: string, round: number): Promise<number> {
  const ids = Array.from({ length: 40 }, (_, i) => `chain-${round}-${runner}-${i}`);
  const t0 = performance.now();
  for (const [i, id] of ids.entries()) {
    await rpc.call("jobs.create", {
      job: { id, runner, payload: MODULE, ...(i ? { depends_on: [ids[i - 1]] } : {}) },
    });
  }
  await Promise.all(ids.map((id) => rpc.call("job.start", { job_id: id })));
  const last = await rpc.call<{ success?: number }>("job.result", {
    job_id: ids.at(-1),
    wait_ms: 120_000,
  });
  if (last.success !== 42) throw new Error(JSON.stringify(last));
  return (performance.now() - t0) / 1000;
}

/** A cold `deno run` of the module, one at a time: sorted ms. */
async function coldRuns(runs: number): Promise<number[]> {
  const dir = await Deno.makeTempDir({ prefix: "hero-cold-" });
  await Deno.writeTextFile(`${dir}/job.ts`, MODULE);
  await Deno.writeTextFile(`${dir}/main.ts`, 'import run from "./job.ts";\nrun();\n');
  const times: number[] = [];
  for (let i = 0; i < runs + 2; i++) {
    const t0 = performance.now();
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-config", "--no-lock", "--no-prompt", "--quiet", `${dir}/main.ts`],
      stdout: "null",
      stderr: "null",
    }).output();
    if (!out.success) throw new Error("cold run failed");
    if (i >= 2) times.push(performance.now() - t0);
  }
  await Deno.remove(dir, { recursive: true });
  return times.sort((a, b) => a - b);
}

/**
 * Until every warm pool is full again: a job-isolation round leaves its pool
 * refilling (a session start is a cold start's CPU), which would otherwise
 * slow whichever side is measured next.
 */
async function settle(sup: SupervisorProcess): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const st = await sup.admin.call<{ kind: string; instances: number; idle?: number }[]>(
      "get_all_runner_status",
      {},
    );
    if (st.every((r) => r.kind !== "script" || r.idle === r.instances)) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error("the warm pools did not refill");
}

async function waitRunning(sup: SupervisorProcess): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const st = await sup.admin.call<{ state: string }[]>("get_all_runner_status", {});
    if (st.every((r) => r.state === "running")) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("runners did not start");
}

if (import.meta.main) {
  const baselineDir = await ensureBullmq();
  const redis = await TestRedis.start();
  const runners = `[[runners]]\nname = "runner"\nkind = "script"\ninstances = ${CONCURRENCY}\n` +
    `isolation = "runner"\n` +
    `[[runners]]\nname = "job"\nkind = "script"\ninstances = ${CONCURRENCY}\n` +
    `[[runners]]\nname = "pair"\nkind = "script"\ninstances = 2\nisolation = "runner"\n`;
  const sups = {
    embedded: await SupervisorProcess.start(runners),
    redis: await SupervisorProcess.start(`redis_url = "${redis.url}"\n${runners}`),
  };
  try {
    await Promise.all(Object.values(sups).map(waitRunning));
    // Warm-up: every session of the runner-isolated runners has loaded the module, and the hot
    // paths are compiled. BullMQ's process starts afresh each round: it runs as many jobs first.
    for (const sup of Object.values(sups)) await throughput(sup.admin, "runner", JOBS);

    const samples: Record<string, Sample[]> = {};
    const chains: Record<string, number[]> = { embedded: [], redis: [] };
    const add = (key: string, s: Sample) => (samples[key] ??= []).push(s);
    const sides: [string, () => Promise<void>][] = [
      ["bullmq", async () => {
        const b = await runBaseline<{ per_s: number; p50_ms: number; p99_ms: number }>(
          baselineDir,
          "bullmq_sandboxed.mjs",
          [
            String(redis.port),
            String(CONCURRENCY),
            String(JOBS),
            String(LATENCY_RUNS),
            String(JOBS),
          ],
        );
        add("BullMQ sandboxed (child processes)", { perS: b.per_s, p50: b.p50_ms, p99: b.p99_ms });
      }],
      ...(["embedded", "redis"] as const).map((store): [string, () => Promise<void>] => [
        store,
        async () => {
          const sup = sups[store];
          add(`runner isolation, ${store}`, await measure(sup.admin, "runner", JOBS, LATENCY_RUNS));
          add(`job isolation, ${store}`, await measure(sup.admin, "job", JOB_MODE_JOBS, 30));
          await settle(sup);
        },
      ]),
    ];
    for (let r = 0; r < ROUNDS; r++) {
      // Each side goes first once in a while: the machine drifts.
      for (let i = 0; i < sides.length; i++) await sides[(i + r) % sides.length][1]();
      for (const store of ["embedded", "redis"] as const) {
        chains[store].push(await chain(sups[store].admin, "runner", r));
      }
    }
    // 100 back-to-back job.run on 2 runner-isolated instances, and cold runs, in the same run.
    const pair = await roundTrips(sups.embedded.admin, "pair", 100);
    const cold = await coldRuns(20);

    const base = samples["BullMQ sandboxed (child processes)"];
    const col = (xs: Sample[], f: (s: Sample) => number, digits = 1) => spread(xs.map(f), digits);
    console.log(
      `\nisolation benchmark (${navigator.hardwareConcurrency} cores, concurrency ${CONCURRENCY}), ` +
        `same run, ${ROUNDS} interleaved rounds: median (min–max)`,
    );
    console.log("| side | jobs/s | ÷ BullMQ | round trip p50, ms | ÷ BullMQ | p99, ms |");
    console.log("| --- | --- | --- | --- | --- | --- |");
    for (const [name, xs] of Object.entries(samples)) {
      const rate = median(xs.map((s) => s.perS)) / median(base.map((s) => s.perS));
      const lat = median(xs.map((s) => s.p50)) / median(base.map((s) => s.p50));
      console.log(
        `| ${name} | ${col(xs, (s) => s.perS)} | ${rate.toFixed(2)}× | ${
          col(xs, (s) => s.p50, 2)
        } | ${lat.toFixed(2)}× | ${col(xs, (s) => s.p99, 2)} |`,
      );
    }
    console.log(
      "\na chain of 40 dependent jobs (runner isolation), seconds until the last is done",
    );
    console.log("| store | seconds | jobs/s |");
    console.log("| --- | --- | --- |");
    for (const [store, xs] of Object.entries(chains)) {
      console.log(`| ${store} | ${spread(xs, 3)} | ${(40 / median(xs)).toFixed(1)} |`);
    }
    console.log(
      `\n100 back-to-back job.run, runner isolation, 2 instances (embedded): p50 ${
        pct(pair, 0.5).toFixed(2)
      } ms (p99 ${pct(pair, 0.99).toFixed(2)}); a cold deno run: p50 ${
        pct(cold, 0.5).toFixed(1)
      } ms: ${(pct(cold, 0.5) / pct(pair, 0.5)).toFixed(1)}× faster`,
    );
  } finally {
    for (const sup of Object.values(sups)) {
      sup.signal("SIGTERM");
      await sup.exited();
      await Deno.remove(sup.dataDir, { recursive: true });
    }
    await redis.stop();
  }
}
