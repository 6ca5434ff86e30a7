/**
 * Nothing a job starts outlives it: after its completion, a `job.stop` and
 * a timeout, the processes it started in the background (with `setsid`,
 * `nohup`, and a double fork) are counted by the OS. With the OS layer, 0
 * are left, whatever they did. Without it, the process group still ends
 * those that stayed in it, and the `setsid` one escapes: the test shows it,
 * then kills it.
 */

import type { Job } from "../../shared/types.generated.ts";
import { assertEquals, eventually } from "../_helpers/assert.ts";
import {
  killAll,
  type Layer,
  markedSleep,
  run,
  startSandboxed,
  VARIANTS,
} from "../_helpers/sandbox.ts";
import type { TestSupervisor } from "../_helpers/supervisor.ts";

/**
 * Three background sleeps, each started its own way, that the job does not
 * wait for; the job counts them running (as `started`, also printed) and
 * then does `then`.
 */
function spawner(marks: { setsid: string; nohup: string; fork: string }, then: string): string {
  const bash = (line: string) =>
    `new Deno.Command("bash", { args: ["-c", ${
      JSON.stringify(line)
    }], stdin: "null", stdout: "piped", stderr: "null" }).outputSync()`;
  const pattern = `sleep (${marks.setsid}|${marks.nohup}|${marks.fork})$`;
  return [
    `${bash(`setsid sleep ${marks.setsid} >/dev/null 2>&1 </dev/null &`)};`,
    `${bash(`nohup sleep ${marks.nohup} >/dev/null 2>&1 </dev/null &`)};`,
    `${bash(`(sleep ${marks.fork} >/dev/null 2>&1 </dev/null &)`)};`,
    // Counted from inside (with `exec`, so that the shell's own command line is not counted),
    // until all three show: a background child may not have reached its `exec sleep` yet.
    `const count = () => Number(new TextDecoder().decode(${
      bash(`exec pgrep -c -f '${pattern}'`)
    }.stdout).trim());`,
    `let started = count();`,
    `for (let i = 0; i < 200 && started < 3; i++) {`,
    `  await new Promise((r) => setTimeout(r, 50));`,
    `  started = count();`,
    `}`,
    `console.log("started " + started);`,
    then,
  ].join("\n");
}

const WAIT_FOREVER = "await new Promise(() => setInterval(() => {}, 1000));";

/**
 * Runs one way of ending a job that started three background sleeps, then
 * counts what is left of them.
 */
async function scenario(
  layer: Layer,
  end: (payload: (then: string) => string) => Promise<void>,
): Promise<void> {
  const sleeps = { setsid: markedSleep(), nohup: markedSleep(), fork: markedSleep() };
  await end((then) =>
    spawner({
      setsid: sleeps.setsid.seconds,
      nohup: sleeps.nohup.seconds,
      fork: sleeps.fork.seconds,
    }, then)
  );
  // The group's own die with it; the setsid one is gone only with the OS layer.
  await eventually(
    () => sleeps.nohup.alive().length === 0 && sleeps.fork.alive().length === 0,
    10_000,
    "the nohup and double-forked sleeps gone",
  );
  if (layer === "os") {
    await eventually(() => sleeps.setsid.alive().length === 0, 10_000, "the setsid sleep gone");
  } else {
    const escaped = sleeps.setsid.alive();
    assertEquals(escaped.length, 1, "without the OS layer, the setsid sleep outlives the job");
    killAll(escaped);
  }
}

/** Starts a job and waits until it says its three sleeps run; its id. */
async function startAndWait(s: TestSupervisor, job: Record<string, unknown>): Promise<string> {
  const id = await s.user.call<string>("jobs.create", { job });
  await s.user.call("job.start", { job_id: id });
  await eventually(
    async () => {
      const { lines } = await s.user.call<{ lines: { line: string }[] }>("job.logs", {
        job_id: id,
      });
      return lines.some((l) => l.line === "started 3");
    },
    20_000,
    "the job's three sleeps running",
  );
  return id;
}

for (const { layer, isolation, cgroups, name, ignore } of VARIANTS) {
  Deno.test({
    name: `${name}: nothing a job starts outlives it (completion, stop, timeout)`,
    ignore,
  }, async (t) => {
    await using s = await startSandboxed(
      layer,
      [
        {
          name: "spawns",
          kind: "script",
          instances: 2,
          stop_grace: 1,
          permissions: { run: ["bash"] },
        },
      ],
      isolation,
      cgroups,
    );

    await t.step("after the job completes", async () => {
      await scenario(layer, async (payload) => {
        const result = await run(s, "spawns", payload("export default started;"));
        assertEquals(result, { success: 3 }, "all three ran when the job ended");
      });
    });

    await t.step("after job.stop", async () => {
      await scenario(layer, async (payload) => {
        const id = await startAndWait(s, { runner: "spawns", payload: payload(WAIT_FOREVER) });
        await s.user.call("job.stop", { job_id: id });
        assertEquals((await s.user.call<Job>("job.get", { job_id: id })).status, "stopped");
      });
    });

    await t.step("after a timeout", async () => {
      await scenario(layer, async (payload) => {
        const id = await startAndWait(s, {
          runner: "spawns",
          payload: payload(WAIT_FOREVER),
          timeout: 3,
        });
        const result = await s.user.call("job.result", { job_id: id, wait_ms: 30_000 });
        assertEquals(result, { error: "timed out after 3 s" });
      });
    });
  });
}
