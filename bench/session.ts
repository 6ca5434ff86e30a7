/**
 * `deno task bench` (session part): isolated jobs on a warm script runner,
 * against what the machine can do cold, in the same run.
 *
 * - `job.run` of `export default () => 42` on a warm runner (p50, p99), next
 *   to a cold `deno run` of the same module;
 * - sustained throughput of isolated jobs (each in a fresh process), next to
 *   what the machine can spawn (cores ÷ cold-spawn time). This machine's
 *   speed drifts by 20 % within seconds, so the two are measured in pairs,
 *   one right after the other, over several rounds (their order alternating),
 *   and the median of the rounds' ratios is the figure;
 * - log throughput: one session printing as fast as it can, read by an SSE
 *   subscriber, with every line accounted for, next to the same program
 *   printing into a plain pipe;
 * - where the CPU goes (Linux): the supervisor's and the sessions' per
 *   isolated job, next to a cold run's, so that the distance to the
 *   yardstick can be told apart from the supervisor's own cost. (The
 *   yardstick is a bare `deno run`; what the OS sandbox adds to each
 *   process is `bench/sandbox.ts`'s to measure, with and without it.)
 *
 * @module
 */

import type { RpcCaller } from "../tests/_helpers/rpc.ts";
import { readProcessTree } from "./cpu_usage.ts";
import { SECRETS, SupervisorProcess } from "../tests/_helpers/supervisor.ts";
import { openSse } from "../tests/_helpers/sse.ts";
import { median, pct } from "./stats.ts";

const MODULE = "export default () => 42;\n";
const WARM_RUNS = Number(Deno.env.get("BENCH_WARM_RUNS") ?? 200);
/**
 * The pause between warm runs, ms: issue 23's measure ("with a warm session
 * waiting (200 ms pauses)"). Shorter pauses measure the pool's refills
 * competing with the job for the CPU (where a cold start takes 60-100 ms of
 * CPU, 40 ms pauses kept both cores busy refilling).
 */
const WARM_PAUSE_MS = Number(Deno.env.get("BENCH_WARM_PAUSE_MS") ?? 200);
const COLD_RUNS = Number(Deno.env.get("BENCH_COLD_RUNS") ?? 20);
const THROUGHPUT_JOBS = Number(Deno.env.get("BENCH_ISOLATED_JOBS") ?? 300);
const BATCH = Number(Deno.env.get("BENCH_ISOLATED_BATCH") ?? 50);
const ROUNDS = Number(Deno.env.get("BENCH_ROUNDS") ?? 5);
const LOG_LINES = Number(Deno.env.get("BENCH_LOG_LINES") ?? 500_000);
const LOG_ROUNDS = Number(Deno.env.get("BENCH_LOG_ROUNDS") ?? 3);

/** What an SSE reader of a job's log got: its stdout lines, those skipped, over how long. */
interface LogRead {
  lines: number;
  skipped: number;
  /** From the first stdout line received to the last. */
  seconds: number;
}

/**
 * Opens a job's log stream and returns the function that reads it to its
 * end, counting stdout events in the bytes as they come: a reader as lean
 * as the pipe's (which counts newlines), so that the figure is the
 * supervisor's.
 */
async function countLogEvents(url: string): Promise<() => Promise<LogRead>> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${SECRETS.admin}` } });
  if (!res.ok || !res.body) throw new Error(`log stream: ${res.status}`);
  const body = res.body;
  return async () => {
    const decoder = new TextDecoder();
    const mark = '"stream":"stdout"';
    const skip = "event: skipped\ndata: ";
    let lines = 0, skipped = 0, first = 0, last = 0, tail = "";
    for await (const chunk of body) {
      // Whole events only; the rest waits for the next read.
      const text = tail + decoder.decode(chunk, { stream: true });
      const end = text.lastIndexOf("\n\n");
      if (end < 0) {
        tail = text;
        continue;
      }
      const events = text.slice(0, end);
      tail = text.slice(end + 2);
      let n = 0;
      for (let i = events.indexOf(mark); i >= 0; i = events.indexOf(mark, i + mark.length)) n++;
      if (n) {
        last = performance.now();
        first ||= last;
        lines += n;
      }
      for (let i = events.indexOf(skip); i >= 0; i = events.indexOf(skip, i + 1)) {
        const start = i + skip.length;
        const stop = events.indexOf("\n", start);
        skipped += JSON.parse(events.slice(start, stop < 0 ? undefined : stop)).count;
      }
    }
    return { lines, skipped, seconds: (last - first) / 1000 };
  };
}

/** The same, with the tests' SSE parser: every event parsed, as a client does. */
async function parseLogEvents(url: string): Promise<() => Promise<LogRead>> {
  const sse = await openSse(url, SECRETS.admin);
  return async () => {
    await sse.done;
    const lines = sse.events.filter((e) =>
      e.event === "message" && JSON.parse(e.data).stream === "stdout"
    );
    const skipped = sse.events.filter((e) => e.event === "skipped").reduce(
      (n, e) => n + JSON.parse(e.data).count,
      0,
    );
    return { lines: lines.length, skipped, seconds: (lines.at(-1)!.at - lines[0].at) / 1000 };
  };
}

/**
 * Lines/s of `program` (run with `deno run`) into a plain pipe read by this
 * process, from its first byte to its end.
 */
async function pipeLinesPerSecond(program: string): Promise<number> {
  const dir = await Deno.makeTempDir({ prefix: "hero-pipe-" });
  try {
    await Deno.writeTextFile(`${dir}/printer.js`, program);
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-config", "--no-lock", "--quiet", `${dir}/printer.js`],
      stdout: "piped",
      stderr: "null",
    }).spawn();
    let lines = 0;
    let first = 0;
    for await (const chunk of child.stdout) {
      first ||= performance.now();
      for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) lines++;
    }
    const seconds = (performance.now() - first) / 1000;
    await child.status;
    return lines / seconds;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
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
  for (let i = 0; i < COLD_RUNS + 2; i++) {
    const t0 = performance.now();
    await coldRun(main);
    if (i >= 2) times.push(performance.now() - t0);
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

/**
 * Many isolated jobs at once, each in its own process: jobs per second.
 * With `batch`, they go as JSON-RPC batches of that many `job.run` calls (a
 * bulk producer's way, and what leaves the most of the machine to the jobs);
 * without, one HTTP request per job. Then a pause while the pool refills,
 * so that its start-ups do not slow down what is measured next.
 */
async function isolatedRate(rpc: RpcCaller, jobs: number, batch?: number): Promise<number> {
  const call = { job: { runner: "pool", payload: MODULE } };
  const t0 = performance.now();
  if (batch) {
    await Promise.all(
      Array.from({ length: Math.ceil(jobs / batch) }, async (_, b) => {
        const size = Math.min(batch, jobs - b * batch);
        const calls = Array.from({ length: size }, (_, id) => ({
          jsonrpc: "2.0",
          id,
          method: "job.run",
          params: call,
        }));
        const { body } = await rpc.raw(JSON.stringify(calls));
        const replies = body as { error?: unknown }[];
        if (replies.some((r) => r.error)) throw new Error(JSON.stringify(replies));
      }),
    );
  } else {
    await Promise.all(Array.from({ length: jobs }, () => rpc.call("job.run", call)));
  }
  const rate = jobs / ((performance.now() - t0) / 1000);
  await new Promise((r) => setTimeout(r, 500));
  return rate;
}

/**
 * CPU per isolated job, ms: the supervisor's own; its sessions' with their
 * sandbox and what the kernel does for them; the whole machine's.
 */
interface JobCpu {
  supervisor: number;
  sessions: number;
  machine: number;
}

/**
 * Isolated jobs in batches on `sup`, with the CPU they cost. A session in
 * namespaces is bubblewrap's grandchild, and ends when bubblewrap is killed:
 * its CPU never reaches the supervisor's count of its children. So the
 * sessions' share is the machine's busy time less the supervisor's and this
 * process's (the machine is otherwise idle while a benchmark runs).
 */
async function isolatedWithCpu(
  sup: SupervisorProcess,
): Promise<{ perS: number; cpu: JobCpu | null }> {
  const before = readProcessTree(sup.pid);
  const benchBefore = readProcessTree(Deno.pid);
  const perS = await isolatedRate(sup.admin, THROUGHPUT_JOBS, BATCH);
  const after = readProcessTree(sup.pid);
  const benchAfter = readProcessTree(Deno.pid);
  if (!before || !after || !benchBefore || !benchAfter) return { perS, cpu: null };
  const supervisor = (after.self - before.self) / THROUGHPUT_JOBS;
  const machine = (after.busy - before.busy) / THROUGHPUT_JOBS;
  const bench = (benchAfter.self - benchBefore.self) / THROUGHPUT_JOBS;
  return { perS, cpu: { supervisor, sessions: machine - supervisor - bench, machine } };
}

/** One round of the throughput pair. */
interface Round {
  coldP50: number;
  /** Submitted in JSON-RPC batches. */
  isolatedPerS: number;
  /** Submitted one HTTP request per job. */
  singlePerS: number;
  /** cores ÷ cold-spawn time. */
  machinePerS: number;
  /** Cold runs, two per core at a time: what the machine really spawns. */
  coldPerS: number;
  /** CPU per isolated job (batches), ms. */
  cpu: JobCpu | null;
  /** CPU of one cold run, ms. */
  coldCpu: number | null;
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
      const st = await sup.admin.call<{ state: string }[]>("get_all_runner_status", {});
      if (st.every((r) => r.state === "running")) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const main = file.replace(/job\.ts$/, "cold.ts");
    await Deno.writeTextFile(main, 'import run from "./job.ts";\nrun();\n');
    // Warm: one job at a time, each in a fresh (pre-spawned) process. Every tenth one is
    // followed by a cold run, so that both are measured in the same spells of the machine.
    const warm: number[] = [];
    const coldBeside: number[] = [];
    for (let i = 0; i < WARM_RUNS + 20; i++) {
      const t0 = performance.now();
      const result = await sup.admin.call<{ success: number }>("job.run", {
        job: { runner: "warm", payload: MODULE },
      });
      if (result.success !== 42) throw new Error(JSON.stringify(result));
      if (i >= 20) warm.push(performance.now() - t0);
      // Let the pool refill, as between requests of a real caller.
      await new Promise((r) => setTimeout(r, WARM_PAUSE_MS));
      if (i >= 20 && i % 10 === 0) {
        const c0 = performance.now();
        await coldRun(main);
        coldBeside.push(performance.now() - c0);
      }
    }
    warm.sort((a, b) => a - b);
    coldBeside.sort((a, b) => a - b);
    // Throughput against the machine's yardstick, in pairs measured back to back.
    const rounds: Round[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const isolated = async () => {
        const { perS: isolatedPerS, cpu } = await isolatedWithCpu(sup);
        return { isolatedPerS, cpu, singlePerS: await isolatedRate(sup.admin, THROUGHPUT_JOBS) };
      };
      const first = r % 2 === 1 ? await isolated() : null;
      const coldBefore = readProcessTree(Deno.pid);
      const times = await coldSpawns(main);
      // A cold run uses more than one core for part of its life: what the machine really
      // spawns is measured too.
      const coldPerS = await coldSpawnRate(main, COLD_RUNS * 2, cores * 2);
      const coldAfter = readProcessTree(Deno.pid);
      const { isolatedPerS, singlePerS, cpu } = first ?? await isolated();
      const coldP50 = pct(times, 0.5);
      rounds.push({
        coldP50,
        isolatedPerS,
        singlePerS,
        machinePerS: cores / (coldP50 / 1000),
        coldPerS,
        cpu,
        coldCpu: coldBefore && coldAfter
          ? (coldAfter.children - coldBefore.children) / (times.length + 2 + COLD_RUNS * 2)
          : null,
      });
    }
    const ratio = median(rounds.map((r) => r.isolatedPerS / r.machinePerS));
    const ratioMeasured = median(rounds.map((r) => r.isolatedPerS / r.coldPerS));
    const ratioSingle = median(rounds.map((r) => r.singlePerS / r.machinePerS));

    // Log throughput: one session printing as fast as it can, to an SSE reader; and the
    // same program into a plain pipe, read by this process.
    // As fast as a job can print: 1000 lines per write (console.log per line is the
    // printer's own limit, about 140 000 lines/s here, not the supervisor's).
    const printer = `const lines = [];
      for (let i = 1; i <= ${LOG_LINES}; i++) {
        lines.push(i);
        if (lines.length === 1000) { console.log(lines.join("\\n")); lines.length = 0; }
      }
      if (lines.length) console.log(lines.join("\\n"));`;
    // Rounds interleaved: the pipe, then the two SSE readers (in turn first).
    const logRounds: { pipe: number; counted: number; parsed: number }[] = [];
    let accounted = "";
    for (let r = 0; r < LOG_ROUNDS; r++) {
      const pipe = await pipeLinesPerSecond(printer);
      const run = async (reader: "counted" | "parsed") => {
        const id = await sup.admin.call<string>("jobs.create", {
          job: { runner: "printer", payload: printer },
        });
        const read = reader === "counted"
          ? await countLogEvents(`${sup.url}/jobs/${id}/logs`)
          : await parseLogEvents(`${sup.url}/jobs/${id}/logs`);
        await sup.admin.call("job.start", { job_id: id });
        const { lines, skipped, seconds } = await read();
        accounted ||= `${lines} / ${LOG_LINES} | skipped (reader fell behind): ${skipped}`;
        if (lines + skipped !== LOG_LINES) {
          throw new Error(`${reader}: ${lines} lines and ${skipped} skipped of ${LOG_LINES}`);
        }
        return lines / seconds;
      };
      const [first, second] = r % 2
        ? ["parsed", "counted"] as const
        : ["counted", "parsed"] as const;
      const a = await run(first);
      const b = await run(second);
      logRounds.push({ pipe, [first]: a, [second]: b } as (typeof logRounds)[number]);
    }
    const spread = (xs: number[]) =>
      `${median(xs).toFixed(0)} (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)})`;
    const ratios = (k: "counted" | "parsed") =>
      `${median(logRounds.map((r) => r[k] / r.pipe)).toFixed(2)}× (${
        Math.min(...logRounds.map((r) => r[k] / r.pipe)).toFixed(2)
      }–${Math.max(...logRounds.map((r) => r[k] / r.pipe)).toFixed(2)})`;

    const p50 = pct(warm, 0.5);
    const coldP50 = pct(coldBeside, 0.5);
    const percent = (x: number) => `${(x * 100).toFixed(0)}%`;
    console.log(`\nsession benchmark (${cores} cores), same run`);
    console.log("| measure | value | against | ratio |");
    console.log("| --- | --- | --- | --- |");
    console.log(
      `| warm job.run p50 (${WARM_PAUSE_MS} ms pauses) | ${p50.toFixed(2)} ms | cold deno run p50 ${
        coldP50.toFixed(1)
      } ms (${coldBeside.length} runs between the warm ones) | ${
        (coldP50 / p50).toFixed(1)
      }× faster |`,
    );
    console.log(
      `| warm job.run p99 | ${pct(warm, 0.99).toFixed(2)} ms | cold deno run p99 ${
        pct(coldBeside, 0.99).toFixed(1)
      } ms | |`,
    );
    console.log(
      `| isolated jobs/s (${THROUGHPUT_JOBS} at once, batches of ${BATCH}), median of ${ROUNDS} rounds | ${
        median(rounds.map((r) => r.isolatedPerS)).toFixed(1)
      } | machine: ${cores} cores ÷ cold spawn, same round | ${percent(ratio)} |`,
    );
    console.log(
      `| isolated jobs/s, as above | | measured: cold runs, ${cores * 2} at a time, same round | ${
        percent(ratioMeasured)
      } |`,
    );
    console.log(
      `| isolated jobs/s, one HTTP request per job | ${
        median(rounds.map((r) => r.singlePerS)).toFixed(1)
      } | machine: ${cores} cores ÷ cold spawn, same round | ${percent(ratioSingle)} |`,
    );
    console.log(
      `| log lines/s to one SSE reader that counts events, median of ${LOG_ROUNDS} rounds | ${
        spread(logRounds.map((r) => r.counted))
      } | the same program into a plain pipe, lines counted: ${
        spread(logRounds.map((r) => r.pipe))
      } | ${ratios("counted")} |`,
    );
    console.log(
      `| log lines/s to one SSE reader that parses every event | ${
        spread(logRounds.map((r) => r.parsed))
      } | as above | ${ratios("parsed")} |`,
    );
    console.log(`| log lines received / printed (every round, both readers) | ${accounted} | |`);
    const cpuRounds = rounds.filter((r) => r.cpu && r.coldCpu !== null);
    if (cpuRounds.length) {
      const ms = (f: (r: Round) => number) => `${median(cpuRounds.map(f)).toFixed(2)} ms`;
      console.log(`\nwhere the CPU goes (median of ${cpuRounds.length} rounds, from /proc)`);
      console.log("| CPU | per isolated job (batches) | per cold run |");
      console.log("| --- | --- | --- |");
      const row = (what: string, f: (c: JobCpu) => number, cold = "") =>
        console.log(`| ${what} | ${ms((r) => f(r.cpu!))} | ${cold} |`);
      row("the supervisor process", (c) => c.supervisor);
      row(
        "the job's process and its sandbox (the machine's less the supervisor's and this bench's)" +
          " / a cold `deno run`",
        (c) => c.sessions,
        ms((r) => r.coldCpu!),
      );
      row("the whole machine (with the pool's refill after the round)", (c) => c.machine);
    }
    console.log("\nthroughput rounds (the isolated jobs ran first in rounds 2, 4, …)");
    console.log(
      "| round | cold p50 | machine/s | cold runs/s | isolated jobs/s | ÷ machine | ÷ cold runs | one request per job | ÷ machine |",
    );
    console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    rounds.forEach((r, i) =>
      console.log(
        `| ${i + 1} | ${r.coldP50.toFixed(1)} ms | ${r.machinePerS.toFixed(1)} | ${
          r.coldPerS.toFixed(1)
        } | ${r.isolatedPerS.toFixed(1)} | ${percent(r.isolatedPerS / r.machinePerS)} | ${
          percent(r.isolatedPerS / r.coldPerS)
        } | ${r.singlePerS.toFixed(1)} | ${percent(r.singlePerS / r.machinePerS)} |`,
      )
    );
  } finally {
    sup.signal("SIGTERM");
    await sup.exited();
    await Deno.remove(sup.dataDir, { recursive: true });
    await Deno.remove(dir, { recursive: true });
  }
}
