/**
 * What happens to a job's processes under Deno's layer alone (the OS
 * sandbox off, as on a host without bubblewrap and cgroups), checked with
 * the OS: a stop or a timeout leaves nothing of the job's process group
 * alive; a heap past `memory_mb` kills the job with a message that says so.
 * `tests/sandbox/` checks the same with the OS layer on, and what only it
 * catches.
 */

import type { Job } from "../../shared/types.generated.ts";
import { assert, assertEquals, eventually } from "../_helpers/assert.ts";
import { isAlive } from "../_helpers/processes.ts";
import { startSupervisor, type TestSupervisor } from "../_helpers/supervisor.ts";

const SPAWNER = `
const child = new Deno.Command("sleep", { args: ["300"], stdout: "null", stderr: "null" }).spawn();
console.log(JSON.stringify({ session: Deno.pid, grandchild: child.pid }));
await new Promise(() => setInterval(() => {}, 1000));
`;

async function pidsOf(
  s: TestSupervisor,
  jobId: string,
): Promise<{ session: number; grandchild: number }> {
  return await eventually(async () => {
    const page = await s.user.call<{ lines: { line: string }[] }>("job.logs", { job_id: jobId });
    return page.lines.length ? JSON.parse(page.lines[0].line) : null;
  });
}

/** A process's group, from the OS. */
function groupOf(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
}

for (const isolation of ["job", "runner"] as const) {
  Deno.test(`${isolation} isolation: stop and timeout kill the job's whole process group; the heap limit kills too`, async (t) => {
    await using s = await startSupervisor({
      sandbox: "off",
      runners: [
        {
          name: "spawner",
          kind: "script",
          instances: 2,
          permissions: { run: ["sleep"] },
          stop_grace: 1,
          isolation,
        },
        { name: "small", kind: "script", instances: 1, memory_mb: 64, isolation },
      ],
    });
    await s.sup.runners.get("spawner").whenReady();
    await s.sup.runners.get("small").whenReady();

    await t.step("job.stop: the session and its sleep grandchild are gone", async () => {
      const id = await s.user.call<string>("jobs.create", {
        job: { runner: "spawner", payload: SPAWNER },
      });
      await s.user.call("job.start", { job_id: id });
      const { session, grandchild } = await pidsOf(s, id);
      assert(isAlive(session) && isAlive(grandchild), "both run before the stop");
      await s.user.call("job.stop", { job_id: id });
      await eventually(
        () => !isAlive(session) && !isAlive(grandchild),
        5000,
        "no process of the job alive",
      );
      assertEquals((await s.user.call<Job>("job.get", { job_id: id })).status, "stopped");
    });

    await t.step("timeout: the same, and the job says it timed out", async () => {
      const id = await s.user.call<string>("jobs.create", {
        job: { runner: "spawner", payload: SPAWNER, timeout: 1 },
      });
      await s.user.call("job.start", { job_id: id });
      const { session, grandchild } = await pidsOf(s, id);
      const result = await s.user.call<{ error: string }>("job.result", {
        job_id: id,
        wait_ms: 10_000,
      });
      assertEquals(result, { error: "timed out after 1 s" });
      await eventually(
        () => !isAlive(session) && !isAlive(grandchild),
        5000,
        "no process of the job alive",
      );
    });

    await t.step("a job that allocates without bound is killed by memory_mb", async () => {
      const result = await s.user.call<{ error: string }>("job.run", {
        job: {
          runner: "small",
          payload: "const keep = []; while (true) keep.push(new Array(1e5).fill(Math.random()));",
        },
      });
      assertEquals(result, {
        error: "killed: the job exceeded its memory limit of 64 MB (memory_mb)",
      });
    });

    await t.step("a finished job's background processes do not outlive it", async () => {
      const result = await s.user.call<{ success: { grandchild: number } }>("job.run", {
        job: {
          runner: "spawner",
          payload: `const c = new Deno.Command("sleep", { args: ["300"] }).spawn();
          export default { grandchild: c.pid };`,
        },
      });
      const pid = result.success.grandchild;
      await eventually(() => !isAlive(pid), 5000, "the grandchild killed with the session");
    });

    await t.step("a job exiting its own process ends at once, children included", async () => {
      // The sleep inherits the job's stdout: left alive, it would hold the output open.
      const id = await s.user.call<string>("jobs.create", {
        job: {
          runner: "spawner",
          timeout: 30,
          payload: `const c = new Deno.Command("sleep", { args: ["300"] }).spawn();
          console.log(JSON.stringify({ grandchild: c.pid }));
          Deno.exit(3);`,
        },
      });
      await s.user.call("job.start", { job_id: id });
      const result = await s.user.call<{ error: string }>("job.result", {
        job_id: id,
        wait_ms: 10_000,
      });
      assertEquals(result, { error: "the job's process exited with code 3 without a result" });
      const { grandchild } = await pidsOf(s, id);
      await eventually(() => !isAlive(grandchild), 5000, "the grandchild killed with the session");
    });
  });

  Deno.test(`${isolation} isolation: without run granted a session is a plain child: a stop ends it, a Ctrl-C does not`, async (t) => {
    await using s = await startSupervisor({
      sandbox: "off",
      runners: [{ name: "plain", kind: "script", instances: 1, stop_grace: 1, isolation }],
    });
    await s.sup.runners.get("plain").whenReady();
    const sessionOf = async (id: string) => (await pidsOf(s, id)).session;

    await t.step("it leads no group of its own, and job.stop still ends it", async () => {
      const id = await s.user.call<string>("jobs.create", {
        job: {
          runner: "plain",
          payload: `console.log(JSON.stringify({ session: Deno.pid }));
          await new Promise((r) => setTimeout(r, 300_000));`,
        },
      });
      await s.user.call("job.start", { job_id: id });
      const session = await sessionOf(id);
      // A job that cannot start processes needs no group: no setsid start for it.
      assert(groupOf(session) !== session, "the session does not lead a process group");
      await s.user.call("job.stop", { job_id: id });
      await eventually(() => !isAlive(session), 5000, "the session gone");
      assertEquals((await s.user.call<Job>("job.get", { job_id: id })).status, "stopped");
    });

    await t.step(
      "a SIGINT, as a terminal's Ctrl-C sends it to the group, leaves the job be",
      async () => {
        const id = await s.user.call<string>("jobs.create", {
          job: {
            runner: "plain",
            payload: `console.log(JSON.stringify({ session: Deno.pid }));
          await new Promise((r) => setTimeout(r, 1500));
          export default "finished";`,
          },
        });
        await s.user.call("job.start", { job_id: id });
        Deno.kill(await sessionOf(id), "SIGINT");
        const result = await s.user.call("job.result", { job_id: id, wait_ms: 10_000 });
        assertEquals(result, { success: "finished" });
      },
    );

    // (A reused session does not exit after a job: no unload to spin in.)
    if (isolation === "job") {
      await t.step("one that spins after its result is killed, not left running", async () => {
        const id = await s.user.call<string>("jobs.create", {
          job: {
            runner: "plain",
            // The host exits right after the result; an unload handler that never returns
            // keeps the process alive past it.
            payload: `console.log(JSON.stringify({ session: Deno.pid }));
          addEventListener("unload", () => { while (true) { /* never returns */ } });
          export default "done";`,
          },
        });
        await s.user.call("job.start", { job_id: id });
        const result = await s.user.call("job.result", { job_id: id, wait_ms: 10_000 });
        assertEquals(result, { success: "done" });
        const session = await sessionOf(id);
        await eventually(
          () => !isAlive(session),
          5000,
          "the spinning session killed",
        );
      });
    }
  });
}
