/**
 * `deno task bench` (session part): isolated jobs on a warm script runner,
 * against what the machine can do cold, in the same run.
 *
 * - `job.run` of `export default () => 42` on a warm runner (p50, p99), next
 *   to a cold `deno run` of the same module;
 * - sustained throughput of isolated jobs (each in a fresh process), next to
 *   what the machine can spawn (cores ÷ cold-spawn time);
 * - log throughput: one session printing as fast as it can, read by an SSE
 *   subscriber, with every line accounted for.
 *
 * @module
 */

import { SECRETS, SupervisorProcess } from "../tests/_helpers/supervisor.ts";
import { openSse } from "../tests/_helpers/sse.ts";

const MODULE = "export default () => 42;\n";
const WARM_RUNS = Number(Deno.env.get("BENCH_WARM_RUNS") ?? 300);
const COLD_RUNS = Number(Deno.env.get("BENCH_COLD_RUNS") ?? 30);
const THROUGHPUT_JOBS = Number(Deno.env.get("BENCH_ISOLATED_JOBS") ?? 400);
const LOG_LINES = Number(Deno.env.get("BENCH_LOG_LINES") ?? 500_000);

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];

async function rpc<T>(url: string, method: string, params: unknown): Promise<T> {
  const res = await fetch(`${url}/rpc`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${SECRETS.admin}` },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const reply = await res.json();
  if (reply.error) throw new Error(JSON.stringify(reply.error));
  return reply.result as T;
}

/** One cold `deno run` of the module, as a session would be without the pool. */
async function coldRun(main: string): Promise<void> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-config", "--no-lock", "--no-prompt", "--quiet", main],
    stdout: "null",
    stderr: "null",
  }).output();
  if (!out.success) throw new Error("cold run failed");
}

/** Cold runs one at a time: their times, sorted. */
async function coldSpawns(main: string): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < COLD_RUNS + 3; i++) {
    const t0 = performance.now();
    await coldRun(main);
    if (i >= 3) times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b);
}

/** Cold runs `parallel` at a time, as fast as the machine goes: runs per second. */
async function coldSpawnRate(main: string, runs: number, parallel: number): Promise<number> {
  let started = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: parallel }, async () => {
    while (started++ < runs) await coldRun(main);
  }));
  return runs / ((performance.now() - t0) / 1000);
}

if (import.meta.main) {
  const dir = await Deno.makeTempDir({ prefix: "hero-bench-" });
  const file = `${dir}/job.ts`;
  await Deno.writeTextFile(file, MODULE);
  const cores = navigator.hardwareConcurrency;
  const sup = await SupervisorProcess.start(
    `[[runners]]\nname = "warm"\nkind = "script"\ninstances = 4\n` +
      `[[runners]]\nname = "pool"\nkind = "script"\ninstances = ${cores * 2}\n` +
      `[[runners]]\nname = "printer"\nkind = "script"\ninstances = 1\n`,
  );
  try {
    for (let i = 0; i < 200; i++) {
      const st = await rpc<{ state: string }[]>(sup.url, "get_all_runner_status", {});
      if (st.every((r) => r.state === "running")) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    // Warm: one job at a time, each in a fresh (pre-spawned) process.
    const warm: number[] = [];
    for (let i = 0; i < WARM_RUNS + 20; i++) {
      const t0 = performance.now();
      const result = await rpc<{ success: number }>(sup.url, "job.run", {
        job: { runner: "warm", payload: MODULE },
      });
      if (result.success !== 42) throw new Error(JSON.stringify(result));
      if (i >= 20) warm.push(performance.now() - t0);
      // Let the pool refill, as between requests of a real caller.
      await new Promise((r) => setTimeout(r, 40));
    }
    warm.sort((a, b) => a - b);
    const main = file.replace(/job\.ts$/, "cold.ts");
    await Deno.writeTextFile(main, 'import run from "./job.ts";\nrun();\n');
    const cold = await coldSpawns(main);
    // The target's yardstick is cores ÷ cold-spawn time; a cold run uses more than one
    // core for part of its life, so what the machine really spawns is measured too.
    const coldPerS = await coldSpawnRate(main, COLD_RUNS * 2, cores * 2);

    // Throughput: many isolated jobs at once, each in its own process.
    const t0 = performance.now();
    await Promise.all(
      Array.from(
        { length: THROUGHPUT_JOBS },
        () => rpc(sup.url, "job.run", { job: { runner: "pool", payload: MODULE } }),
      ),
    );
    const isolatedPerS = THROUGHPUT_JOBS / ((performance.now() - t0) / 1000);
    const machinePerS = cores / (pct(cold, 0.5) / 1000);

    // Log throughput: one session printing as fast as it can, to an SSE reader.
    const id = await rpc<string>(sup.url, "jobs.create", {
      // As fast as a job can print: 1000 lines per write (console.log per line is the
      // printer's own limit, about 140 000 lines/s here, not the supervisor's).
      job: {
        runner: "printer",
        payload: `const lines = [];
          for (let i = 1; i <= ${LOG_LINES}; i++) {
            lines.push(i);
            if (lines.length === 1000) { console.log(lines.join("\\n")); lines.length = 0; }
          }
          if (lines.length) console.log(lines.join("\\n"));`,
      },
    });
    const sse = await openSse(`${sup.url}/jobs/${id}/logs`, SECRETS.admin);
    await rpc(sup.url, "job.start", { job_id: id });
    await sse.done;
    const lines = sse.events.filter((e) => e.event === "message");
    const skipped = sse.events.filter((e) => e.event === "skipped").reduce(
      (n, e) => n + JSON.parse(e.data).count,
      0,
    );
    const outputLines = lines.filter((e) => JSON.parse(e.data).stream === "stdout").length;
    const seconds = (lines.at(-1)!.at - lines[0].at) / 1000;

    const p50 = pct(warm, 0.5);
    console.log(`\nsession benchmark (${cores} cores), same run`);
    console.log("| measure | value | against | ratio |");
    console.log("| --- | --- | --- | --- |");
    console.log(
      `| warm job.run p50 | ${p50.toFixed(2)} ms | cold deno run p50 ${
        pct(cold, 0.5).toFixed(1)
      } ms | ${(pct(cold, 0.5) / p50).toFixed(1)}× faster |`,
    );
    console.log(
      `| warm job.run p99 | ${pct(warm, 0.99).toFixed(2)} ms | cold deno run p99 ${
        pct(cold, 0.99).toFixed(1)
      } ms | |`,
    );
    console.log(
      `| isolated jobs/s (${THROUGHPUT_JOBS} at once) | ${
        isolatedPerS.toFixed(1)
      } | machine: ${cores} cores ÷ cold spawn = ${machinePerS.toFixed(1)} | ${
        (isolatedPerS / machinePerS * 100).toFixed(0)
      }% |`,
    );
    console.log(
      `| isolated jobs/s, as above | ${isolatedPerS.toFixed(1)} | measured: cold runs, ${
        cores * 2
      } at a time = ${coldPerS.toFixed(1)}/s | ${(isolatedPerS / coldPerS * 100).toFixed(0)}% |`,
    );
    console.log(
      `| log lines/s to one SSE reader | ${(outputLines / seconds).toFixed(0)} | target 200000 | ${
        (outputLines / seconds / 200_000).toFixed(2)
      }× |`,
    );
    console.log(
      `| log lines received / printed | ${outputLines} / ${LOG_LINES} | skipped (reader fell behind): ${skipped} | |`,
    );
  } finally {
    sup.signal("SIGTERM");
    await sup.exited();
    await Deno.remove(sup.dataDir, { recursive: true });
    await Deno.remove(dir, { recursive: true });
  }
}
