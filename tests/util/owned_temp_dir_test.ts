/**
 * Owned temp dirs: a dir whose owner died (SIGKILL, so it could not clean
 * up) is swept by the next process; one whose owner lives (another process,
 * or this one), or that has no lock file, stays. Real processes.
 */

import { assert, assertEquals } from "../_helpers/assert.ts";
import { pathExists } from "../_helpers/files.ts";
import {
  makeOwnedTempDir,
  type OwnedTempDir,
  sweepOrphanedDirs,
} from "../../server/util/owned_temp_dir.ts";

const MODULE = new URL("../../server/util/owned_temp_dir.ts", import.meta.url).href;
const PREFIX = `hero-sweep-test-${Deno.pid}-`;

/** A `deno` process that makes an owned dir, prints it, and waits to be killed. */
async function owner(): Promise<{ dir: string; child: Deno.ChildProcess }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `import { makeOwnedTempDir } from ${JSON.stringify(MODULE)};
       console.log((await makeOwnedTempDir(${JSON.stringify(PREFIX)})).path);
       setInterval(() => {}, 1000);`,
    ],
    stdout: "piped",
    stderr: "null",
    stdin: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("the owner process ended early");
    text += value;
  }
  // Nothing more is read: an unread pipe must not hold the process up.
  await reader.cancel();
  return { dir: text.trim(), child };
}

Deno.test("dirs whose owner died are swept; those of live owners, or of none, stay", async () => {
  const dirs: string[] = [];
  const owners: Deno.ChildProcess[] = [];
  const held: OwnedTempDir[] = [];
  try {
    held.push(await makeOwnedTempDir(PREFIX), await makeOwnedTempDir(PREFIX));
    const [mine, alsoMine] = held.map((h) => h.path);
    const unowned = await Deno.makeTempDir({ prefix: PREFIX });
    dirs.push(mine, alsoMine, unowned);
    const dead = await owner();
    const live = await owner();
    owners.push(dead.child, live.child);
    dirs.push(dead.dir, live.dir);

    dead.child.kill("SIGKILL");
    await dead.child.status;
    assert(await pathExists(dead.dir));
    assertEquals(await sweepOrphanedDirs(PREFIX, mine), [dead.dir]);
    for (const dir of [mine, alsoMine, unowned, live.dir]) assert(await pathExists(dir), dir);

    live.child.kill("SIGKILL");
    await live.child.status;
    assertEquals(await sweepOrphanedDirs(PREFIX, mine), [live.dir]);
    for (const dir of [mine, alsoMine, unowned]) assert(await pathExists(dir), dir);
  } finally {
    for (const child of owners) {
      try {
        child.kill("SIGKILL");
      } catch {
        // already gone
      }
      await child.status;
    }
    for (const h of held) h.release();
    for (const dir of dirs) await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
