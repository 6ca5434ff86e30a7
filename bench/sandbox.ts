/**
 * `deno task bench` (sandbox part): what the OS layer costs, and what a job
 * printing without newlines costs the supervisor.
 *
 * - The cost of the layer per job: two supervisors, one with the OS sandbox
 *   required and one with it off, same runners, measured in the same run in
 *   interleaved rounds (their order alternating): `job.run` latency with a
 *   warm session waiting, isolated jobs per second, and CPU per job (the
 *   machine's, from /proc/stat: a namespaced session's processes are not
 *   the supervisor's children by the time they end, so only the machine
 *   sees all of them; and the supervisor's own).
 * - A flood: one job prints 1 GiB without a newline while `/health` is
 *   asked every 100 ms and the supervisor's resident memory is read.
 *
 * @module
 */

import type { RpcCaller } from "../tests/_helpers/rpc.ts";
import { SupervisorProcess } from "../tests/_helpers/supervisor.ts";
import { readProcessTree } from "./cpu_usage.ts";
import { pct, spread } from "./stats.ts";

const MODULE = "export default () => 42;\n";
const ROUNDS = Number(Deno.env.get("BENCH_ROUNDS") ?? 5);
const WARM_RUNS = Number(Deno.env.get("BENCH_SANDBOX_WARM_RUNS") ?? 60);
const JOBS = Number(Deno.env.get("BENCH_SANDBOX_JOBS") ?? 200);
const FLOOD_MIB = Number(Deno.env.get("BENCH_FLOOD_MIB") ?? 1024);

type Layer = "os" | "off";

interface Round {
  warmP50: number;
  perS: number;
  /** CPU per job, ms: the whole machine's, and the supervisor process's. */
  machineCpu: number | null;
  supervisorCpu: number | null;
}

/** `job.run` one after the other, a pause between them for the pool to refill: sorted ms. */
async function warmLatency(rpc: RpcCaller): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < WARM_RUNS + 5; i++) {
    const t0 = performance.now();
    const result = await rpc.call<{ success: number }>("job.run", {
      job: { runner: "warm", payload: MODULE },
    });
    if (result.success !== 42) throw new Error(JSON.stringify(result));
    if (i >= 5) times.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, 40));
  }
  return times.sort((a, b) => a - b);
}

/** `JOBS` isolated jobs at once, in JSON-RPC batches of 50: jobs/s and CPU per job. */
async function throughput(sup: SupervisorProcess): Promise<Omit<Round, "warmP50">> {
  const before = readProcessTree(sup.pid);
  const t0 = performance.now();
  await Promise.all(Array.from({ length: Math.ceil(JOBS / 50) }, async (_, b) => {
    const size = Math.min(50, JOBS - b * 50);
    const calls = Array.from({ length: size }, (_, id) => ({
      jsonrpc: "2.0",
      id,
      method: "job.run",
      params: { job: { runner: "pool", payload: MODULE } },
    }));
    const { body } = await sup.admin.raw(JSON.stringify(calls));
    if ((body as { error?: unknown }[]).some((r) => r.error)) throw new Error(JSON.stringify(body));
  }));
  const perS = JOBS / ((performance.now() - t0) / 1000);
  // The pool refills after the burst: that is part of what the jobs cost.
  await new Promise((r) => setTimeout(r, 1000));
  const after = readProcessTree(sup.pid);
  await new Promise((r) => setTimeout(r, 200));
  return {
    perS,
    machineCpu: before && after ? (after.busy - before.busy) / JOBS : null,
    supervisorCpu: before && after ? (after.self - before.self) / JOBS : null,
  };
}

function rssMiB(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(status.match(/^VmRSS:\s+(\d+)/m)![1]) / 1024;
}

/** One job prints `FLOOD_MIB` without a newline; `/health` is timed meanwhile. */
async function flood(sup: SupervisorProcess) {
  const rssBefore = rssMiB(sup.pid);
  const id = await sup.admin.call<string>("jobs.create", {
    job: {
      runner: "printer",
      timeout: 3600,
      payload: `const chunk = new TextEncoder().encode("x".repeat(1 << 20));
        for (let i = 0; i < ${FLOOD_MIB}; i++) Deno.stdout.writeSync(chunk);
        export default ${FLOOD_MIB};`,
    },
  });
  const t0 = performance.now();
  await sup.admin.call("job.start", { job_id: id });
  const health: number[] = [];
  let rssMax = rssBefore;
  let done = false;
  const result = sup.admin.call("job.result", { job_id: id, wait_ms: 600_000 }).finally(() =>
    done = true
  );
  while (!done) {
    const h0 = performance.now();
    const res = await fetch(`${sup.url}/health`);
    await res.body?.cancel();
    health.push(performance.now() - h0);
    rssMax = Math.max(rssMax, rssMiB(sup.pid));
    await new Promise((r) => setTimeout(r, 100));
  }
  const seconds = (performance.now() - t0) / 1000;
  const outcome = await result;
  const status = await sup.admin.call<{ status: string }>("job.status", { job_id: id });
  const page = await sup.admin.call<{ next: number }>("job.logs", {
    job_id: id,
    after: 0,
    limit: 1,
  });
  return {
    health: health.sort((a, b) => a - b),
    rssBefore,
    rssMax,
    seconds,
    outcome,
    status,
    page,
  };
}

if (import.meta.main) {
  const cores = navigator.hardwareConcurrency;
  const runners = `[[runners]]\nname = "warm"\nkind = "script"\ninstances = 2\n` +
    `[[runners]]\nname = "pool"\nkind = "script"\ninstances = ${cores * 2}\n` +
    `[[runners]]\nname = "printer"\nkind = "script"\ninstances = 1\n`;
  const sups: Record<Layer, SupervisorProcess> = {
    os: await SupervisorProcess.start(`sandbox = "require"\n${runners}`),
    off: await SupervisorProcess.start(`sandbox = "off"\n${runners}`),
  };
  try {
    for (const sup of Object.values(sups)) {
      for (let i = 0; i < 400; i++) {
        const st = await sup.admin.call<{ state: string }[]>("get_all_runner_status", {});
        if (st.every((r) => r.state === "running")) break;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    const rounds: Record<Layer, Round[]> = { os: [], off: [] };
    for (let r = 0; r < ROUNDS; r++) {
      const order: Layer[] = r % 2 === 0 ? ["os", "off"] : ["off", "os"];
      for (const layer of order) {
        const warm = await warmLatency(sups[layer].admin);
        rounds[layer].push({ warmP50: pct(warm, 0.5), ...(await throughput(sups[layer])) });
      }
    }
    const floodRun = await flood(sups.os);

    const col = (layer: Layer, f: (r: Round) => number | null, digits = 2) => {
      const values = rounds[layer].map(f).filter((v): v is number => v !== null);
      return values.length ? spread(values, digits) : "n/a";
    };
    const ratio = (f: (r: Round) => number | null) => {
      const ratios = rounds.os.map((r, i) => {
        const a = f(r), b = f(rounds.off[i]);
        return a !== null && b !== null && b > 0 ? a / b : null;
      }).filter((v): v is number => v !== null);
      return ratios.length ? `${spread(ratios)}×` : "n/a";
    };
    console.log(
      `\nsandbox benchmark (${cores} cores), same run, ${ROUNDS} interleaved rounds: median (min–max)`,
    );
    console.log("| per job | with the OS layer | Deno's layer only | ratio (with ÷ without) |");
    console.log("| --- | --- | --- | --- |");
    console.log(
      `| job.run p50, warm session waiting, ms | ${col("os", (r) => r.warmP50)} | ${
        col("off", (r) => r.warmP50)
      } | ${ratio((r) => r.warmP50)} |`,
    );
    console.log(
      `| isolated jobs/s (${JOBS} at once) | ${col("os", (r) => r.perS, 1)} | ${
        col("off", (r) => r.perS, 1)
      } | ${ratio((r) => r.perS)} |`,
    );
    console.log(
      `| machine CPU per job, ms (pool refill included) | ${col("os", (r) => r.machineCpu)} | ${
        col("off", (r) => r.machineCpu)
      } | ${ratio((r) => r.machineCpu)} |`,
    );
    console.log(
      `| supervisor CPU per job, ms | ${col("os", (r) => r.supervisorCpu)} | ${
        col("off", (r) => r.supervisorCpu)
      } | ${ratio((r) => r.supervisorCpu)} |`,
    );
    const h = floodRun.health;
    console.log(`\nflood: one job printing ${FLOOD_MIB} MiB without a newline (OS layer on)`);
    console.log("| measure | value |");
    console.log("| --- | --- |");
    console.log(
      `| the job | ${floodRun.status.status} in ${floodRun.seconds.toFixed(1)} s (${
        (FLOOD_MIB / floodRun.seconds).toFixed(0)
      } MiB/s): ${JSON.stringify(floodRun.outcome)} |`,
    );
    console.log(
      `| GET /health while it printed (${h.length} asks) | p50 ${pct(h, 0.5).toFixed(1)} ms, p99 ${
        pct(h, 0.99).toFixed(1)
      } ms, max ${h.at(-1)!.toFixed(1)} ms; over 200 ms: ${h.filter((x) => x > 200).length} |`,
    );
    console.log(
      `| supervisor RSS | ${floodRun.rssBefore.toFixed(0)} MiB before, ${
        floodRun.rssMax.toFixed(0)
      } MiB at most: +${(floodRun.rssMax - floodRun.rssBefore).toFixed(0)} MiB |`,
    );
  } finally {
    for (const sup of Object.values(sups)) {
      sup.signal("SIGTERM");
      await sup.exited();
      await Deno.remove(sup.dataDir, { recursive: true });
    }
  }
}
