/**
 * `deno task bench` (cluster part): script jobs through one supervisor on
 * Redis, alone, then with one and with two remote runner agents serving the
 * same runner (each agent as many instances as the supervisor), in the same
 * run, in interleaved rounds. Prints jobs/s and the ratio to the supervisor
 * alone. On one machine the agents share its cores with the supervisor: the
 * figure says what an agent adds when it has a machine of its own only when
 * the agents run elsewhere.
 *
 *     deno run -A bench/cluster.ts        (BENCH_JOBS, BENCH_ROUNDS)
 *
 * @module
 */

import { TestRedis } from "../tests/_helpers/redis_server.ts";
import type { RpcCaller } from "../tests/_helpers/rpc.ts";
import { SupervisorProcess } from "../tests/_helpers/supervisor.ts";
import { median } from "./stats.ts";

const JOBS = Number(Deno.env.get("BENCH_JOBS") ?? 300);
const ROUNDS = Number(Deno.env.get("BENCH_ROUNDS") ?? 3);
const INSTANCES = 2;

function agent(redisUrl: string): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("../server/agent/main.ts", import.meta.url).pathname,
      "--redis",
      redisUrl,
      "--name",
      "work",
      "--instances",
      String(INSTANCES),
      "--isolation",
      "runner",
    ],
    stdout: "null",
    stderr: "null",
  }).spawn();
}

/** jobs/s of JOBS script jobs, all queued at once, until the last completed. */
async function round(caller: RpcCaller): Promise<number> {
  const t0 = performance.now();
  const ids = await caller.call<string[]>("jobs.create_many", {
    jobs: Array.from({ length: JOBS }, () => ({ runner: "work", payload: "export default 1;" })),
    start: true,
  }) as string[];
  for (const id of ids) await caller.call("job.result", { job_id: id, wait_ms: 120_000 });
  return JOBS / ((performance.now() - t0) / 1000);
}

async function members(caller: RpcCaller): Promise<number> {
  return (await caller.call("cluster.members", {}) as { role: string; state: string }[])
    .filter((m) => m.role === "agent" && m.state === "up").length;
}

const redis = await TestRedis.start();
const sup = await SupervisorProcess.start(
  `redis_url = "${redis.url}"\n[[runners]]\nname = "work"\nkind = "script"\n` +
    `instances = ${INSTANCES}\nisolation = "runner"\n`,
);
const rates: Record<string, number[]> = { alone: [], "+1 agent": [], "+2 agents": [] };
const agents: Deno.ChildProcess[] = [];
try {
  await round(sup.admin); // warm-up
  for (let r = 0; r < ROUNDS; r++) {
    // Interleaved: alone, one agent, two agents, then the agents leave for the next round.
    rates.alone.push(await round(sup.admin));
    agents.push(agent(redis.url));
    while (await members(sup.admin) < 1) await new Promise((res) => setTimeout(res, 200));
    rates["+1 agent"].push(await round(sup.admin));
    agents.push(agent(redis.url));
    while (await members(sup.admin) < 2) await new Promise((res) => setTimeout(res, 200));
    rates["+2 agents"].push(await round(sup.admin));
    for (const a of agents.splice(0)) {
      a.kill("SIGTERM");
      await a.status;
    }
    while (await members(sup.admin) > 0) await new Promise((res) => setTimeout(res, 200));
  }
} finally {
  for (const a of agents) {
    a.kill("SIGTERM");
    await a.status;
  }
  sup.signal("SIGTERM");
  await sup.exited();
  await Deno.remove(sup.dataDir, { recursive: true }).catch(() => {});
  await redis.stop();
}
const base = median(rates.alone);
console.log(
  `cluster: ${JOBS} script jobs (isolation = "runner", ${INSTANCES} instances per member), ` +
    `${ROUNDS} interleaved rounds, medians (spread)\n`,
);
console.log("| members serving the runner | jobs/s | ÷ supervisor alone |");
console.log("| --- | --- | --- |");
for (const [label, values] of Object.entries(rates)) {
  const m = median(values);
  console.log(
    `| supervisor ${label} | ${m.toFixed(0)} (${Math.min(...values).toFixed(0)}–${
      Math.max(...values).toFixed(0)
    }) | ${(m / base).toFixed(2)}× |`,
  );
}
