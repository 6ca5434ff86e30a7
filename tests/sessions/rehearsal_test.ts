/**
 * A session host runs a job of its own before it says hello (so that the
 * first real job does not pay for compiling the code that handles jobs).
 * Nothing of that rehearsal may show: no output in the runner's log, no
 * line in a job's log, no module a job's payload would share with it.
 */

import { assertEquals } from "../_helpers/assert.ts";
import { startSupervisor, type TestSupervisor } from "../_helpers/supervisor.ts";

/** The rehearsal's own payload (`session_host.js`). */
const REHEARSED = "export default () => null;";

/** A job's log lines, as [stream, line]. */
async function linesOf(s: TestSupervisor, jobId: string): Promise<string[][]> {
  const page = await s.user.call<{ lines: { line: string; stream: string }[] }>("job.logs", {
    job_id: jobId,
  });
  return page.lines.map((l) => [l.stream, l.line]);
}

for (const isolation of ["job", "runner"] as const) {
  Deno.test(`${isolation} isolation: the host's rehearsal before its hello leaves nothing behind`, async () => {
    await using s = await startSupervisor({
      sandbox: "off",
      runners: [{ name: "r", kind: "script", isolation, instances: 1 }],
    });
    await s.sup.runners.get("r").whenReady();

    // Its payload as a job's: the job's own run, with its own result, and no log line (output
    // of the rehearsal read late would be taken for the first job's).
    const first = await s.user.call<string>("jobs.create", {
      job: { runner: "r", payload: REHEARSED },
    });
    await s.user.call("job.start", { job_id: first });
    assertEquals(await s.user.call("job.result", { job_id: first, wait_ms: 10_000 }), {
      success: null,
    });
    assertEquals(await linesOf(s, first), []);
    // A payload without a default export runs afresh, top level and all, each time.
    const printing = `const f = () => null;\nconsole.log("top level ran");`;
    for (let i = 0; i < 2; i++) {
      const id = await s.user.call<string>("jobs.create", {
        job: { runner: "r", payload: printing },
      });
      await s.user.call("job.start", { job_id: id });
      assertEquals(await s.user.call("job.result", { job_id: id, wait_ms: 10_000 }), {
        success: "top level ran",
      });
      // Only its own line: no empty line from end marks, no rehearsal output.
      assertEquals(await linesOf(s, id), [["stdout", "top level ran"]]);
    }
    // The sessions printed nothing between jobs, the rehearsal included.
    const logs = await s.admin.call<string[]>("get_runner_logs", { name: "r", lines: 1000 });
    assertEquals(logs.filter((l) => / \[(stdout|stderr)\] /.test(l)), []);
  });
}
