/**
 * Spawning a process as a group leader and ending its group, checked with
 * the OS (`/proc`), not with our own bookkeeping.
 */

import { assert, assertEquals, eventually } from "../_helpers/assert.ts";
import { isAlive, SLEEP } from "../_helpers/processes.ts";
import { spawnGroupLeader, terminateGroup } from "../../server/util/process_group.ts";

/** The process group of a process, from `/proc/PID/stat`. */
function groupOf(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
}

Deno.test("a spawned program leads its own group, and terminateGroup ends the whole group", async () => {
  // A shell that starts a grandchild in its group and waits for it.
  const child = spawnGroupLeader("/bin/sh", {
    args: ["-c", `${SLEEP} 30 & echo $!; wait`],
    stdout: "piped",
    stderr: "null",
    stdin: "null",
  });
  const reader = child.stdout.getReader();
  const { value } = await reader.read();
  const grandchild = Number(new TextDecoder().decode(value).trim());
  await eventually(() => groupOf(child.pid) === child.pid, 5000, "the child leads a group");
  assertEquals(groupOf(grandchild), child.pid, "the grandchild is in that group");
  await terminateGroup(child.pid, child.status, 2000);
  await eventually(() => !isAlive(grandchild), 5000, "the grandchild is gone too");
  assert(!isAlive(child.pid));
  reader.releaseLock();
  await child.stdout.cancel();
});

Deno.test("terminateGroup at once after the spawn, before the group exists, still ends it", async () => {
  for (let i = 0; i < 20; i++) {
    const child = spawnGroupLeader(SLEEP, {
      args: ["30"],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    });
    await terminateGroup(child.pid, child.status, 2000);
    assert(!isAlive(child.pid), `spawn ${i} ended`);
  }
});

Deno.test("a program that cannot start fails with Deno's own error", () => {
  let error: unknown;
  try {
    spawnGroupLeader("/nonexistent/hero-program", { stdin: "null", stdout: "null" });
  } catch (e) {
    error = e;
  }
  assert(error instanceof Deno.errors.NotFound, `got ${error}`);
});
