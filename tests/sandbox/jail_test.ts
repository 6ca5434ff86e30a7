/**
 * Killing a confined process tree at any moment, its namespace's set-up
 * included, leaves nothing running, without a control group to sweep up
 * after it (`sandbox_cgroups = false`, as on a host that gives this user
 * none). bubblewrap's `--die-with-parent` does not cover its set-up: a
 * bubblewrap killed then left its namespace's init and the program running,
 * re-parented to PID 1 (this test, before the fix: 12 to 28 processes left,
 * in 4 runs of 4). The kills land at moments spread over the set-up while
 * three busy loops compete for the CPU, as on a loaded host; what is left is
 * counted by the OS.
 */

import { eventually } from "../_helpers/assert.ts";
import { SLEEP } from "../_helpers/processes.ts";
import { markedSleep } from "../_helpers/sandbox.ts";
import { Sandbox } from "../../server/sandbox/mod.ts";

/** A program that keeps one core busy until killed. */
function busyLoop(): Deno.ChildProcess {
  return new Deno.Command("/bin/sh", {
    args: ["-c", "while :; do :; done"],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
}

Deno.test("a confined process killed at any moment of its set-up leaves nothing behind", async () => {
  const sandbox = await Sandbox.open("require", "unused", "unused", () => false, {
    cgroups: false,
  });
  const confinement = sandbox.confinePrograms({});
  const sleep = markedSleep();
  const load = [busyLoop(), busyLoop(), busyLoop()];
  try {
    for (let i = 0; i < 400; i++) {
      const jailed = confinement.spawn(SLEEP, {
        args: [sleep.seconds],
        stdin: "null",
        stdout: "null",
        stderr: "null",
      });
      // From at once to 10 ms in, in steps of 0.25 ms: a set-up took 5 to 16 ms here.
      const until = performance.now() + (i % 40) * 0.25;
      while (performance.now() < until) {
        // Spin: a timer's granularity (1 ms) would skip the early moments.
      }
      jailed.kill();
      await jailed.child.status;
      await jailed.release();
    }
    // A killed namespace's processes go once its init is reaped. (Its command line has the
    // marker too: a bubblewrap left behind is counted with its sleep.)
    await eventually(() => sleep.alive().length === 0, 10_000, "every confined sleep gone");
  } finally {
    for (const p of load) p.kill("SIGKILL");
    await Promise.all(load.map((p) => p.status));
    for (const pid of sleep.alive()) Deno.kill(pid, "SIGKILL");
    await sandbox.close();
  }
});
