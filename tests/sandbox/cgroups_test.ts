/**
 * Control groups are made ahead of need, off the supervisor's event loop: a
 * group made ahead holds its process under the runner's limits as one made
 * at once does, and a closed sandbox leaves no group behind, those made
 * ahead and never used included. A CPU limit is the group's quota. Checked
 * in the cgroup file system (the limits' effects are the kernel's).
 */

import { assert, assertEquals, eventually } from "../_helpers/assert.ts";
import { SLEEP } from "../_helpers/processes.ts";
import { CGROUPS_HERE, markedSleep } from "../_helpers/sandbox.ts";
import { probeCgroups } from "../../server/sandbox/probe.ts";
import { Sandbox } from "../../server/sandbox/mod.ts";
import { pathExists } from "../../server/util/path_exists.ts";

/** The groups in a tree (its subdirectories). */
function groupsIn(tree: string): string[] {
  try {
    return [...Deno.readDirSync(tree)].filter((e) => e.isDirectory).map((e) => `${tree}/${e.name}`);
  } catch {
    return [];
  }
}

/** The group of `tree` that holds `pid`, or null. */
function groupOf(tree: string, pid: number): string | null {
  return groupsIn(tree).find((group) => {
    try {
      return Deno.readTextFileSync(`${group}/cgroup.procs`).split("\n").includes(String(pid));
    } catch {
      return false; // Removed meanwhile.
    }
  }) ?? null;
}

Deno.test({
  name:
    "control groups made ahead hold their processes under the limits (memory, CPU); none outlives the sandbox",
  ignore: !CGROUPS_HERE,
}, async () => {
  const layout = probeCgroups().layout!;
  const name = `hero-test-cgroups-${crypto.randomUUID().slice(0, 8)}`;
  // Trees an earlier run left (a failed one) go too.
  const sandbox = await Sandbox.open("auto", name, "hero-test-cgroups-", () => true);
  const confinement = sandbox.confinePrograms({ memoryMb: 64, pidsMax: 32 });
  // The limit read back: memory's where this host enforces it, else the process count's.
  const memory = confinement.status.limits?.memory_mb === 64;
  const limit = memory
    ? { file: layout.version === 2 ? "memory.max" : "memory.limit_in_bytes", value: 64 << 20 }
    : { file: "pids.max", value: 32 };
  const tree = layout.version === 2
    ? `${layout.base}/${name}`
    : `${memory ? layout.dirs.memory : layout.dirs.pids}/${name}`;
  const sleep = markedSleep();
  try {
    let madeAhead = 0;
    for (let i = 0; i < 6; i++) {
      const before = groupsIn(tree);
      const jailed = confinement.spawn(SLEEP, {
        args: [sleep.seconds],
        stdin: "null",
        stdout: "null",
        stderr: "null",
      });
      const group = await eventually(
        () => groupOf(tree, jailed.pid),
        10_000,
        `process ${i} in a group of the tree`,
      );
      if (before.includes(group)) madeAhead++;
      assertEquals(
        Number(Deno.readTextFileSync(`${group}/${limit.file}`).trim()),
        limit.value,
        `${limit.file} of process ${i}'s group`,
      );
      jailed.kill();
      await jailed.child.status;
      await jailed.release();
      // Groups made ahead, their limits written, before the next process starts. (Whether the
      // supervisor has taken the last write's completion in by then is its event loop's to say:
      // so at least one, not every one, of the next processes must find one made ahead.)
      await eventually(
        () => {
          const groups = groupsIn(tree);
          return groups.length >= 4 && groups.every((g) => {
            try {
              return Number(Deno.readTextFileSync(`${g}/${limit.file}`).trim()) === limit.value;
            } catch {
              return false; // Being made.
            }
          });
        },
        10_000,
        "groups made ahead, with the limit",
      );
    }
    // The first was made at once (none was needed before); later ones were made ahead.
    assert(madeAhead >= 1, `${madeAhead} of 5 processes found a group made before they started`);

    // A CPU limit is the kernel's quota of the group, where this host enforces one; without one
    // (above), cgroup v1 made no group in its cpu hierarchy.
    const halfCore = sandbox.confinePrograms({ cpus: 0.5 });
    if (halfCore.status.limits?.cpu === 0.5) {
      const cpuTree = layout.version === 2 ? tree : `${layout.dirs.cpu}/${name}`;
      if (layout.version === 1) assertEquals(groupsIn(cpuTree), [], "cpu groups without a limit");
      const jailed = halfCore.spawn(SLEEP, {
        args: [sleep.seconds],
        stdin: "null",
        stdout: "null",
        stderr: "null",
      });
      const group = await eventually(() => groupOf(cpuTree, jailed.pid), 10_000, "a cpu group");
      const quota = layout.version === 2
        ? Deno.readTextFileSync(`${group}/cpu.max`).trim()
        : `${Deno.readTextFileSync(`${group}/cpu.cfs_quota_us`).trim()} ${
          Deno.readTextFileSync(`${group}/cpu.cfs_period_us`).trim()
        }`;
      assertEquals(quota, "50000 100000", "half a core: 50 ms of every 100 ms");
      jailed.kill();
      await jailed.child.status;
      await jailed.release();
    }
  } finally {
    for (const pid of sleep.alive()) Deno.kill(pid, "SIGKILL");
    await sandbox.close();
  }
  assert(!pathExists(tree), `${tree} removed, with the groups made ahead that were never used`);
});
