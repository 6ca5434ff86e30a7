/**
 * What a supervisor killed outright left running is ended by the next one
 * that starts: everything a supervisor launches carries its mark in its
 * environment, bubblewrap's init and the namespace's programs included, and
 * a start kills what carries the mark of an owner that is gone (and only
 * that). The leftover the mark is for is made here as a supervisor killed
 * at the wrong moment leaves it: a bubblewrap whose parent-death signal was
 * not set yet, killed, its init and program running on, re-parented, in a
 * session of their own.
 */

import { assert, assertEquals, eventually } from "../_helpers/assert.ts";
import { LAUNCH_MARK } from "../../server/sandbox/mod.ts";
import { probeBwrap } from "../../server/sandbox/probe.ts";
import { ProcessRuntime } from "../../server/runners/process_runtime.ts";
import { makeOwnedTempDir } from "../../server/util/owned_temp_dir.ts";
import { descendantsOf, isAlive, SLEEP } from "../_helpers/processes.ts";

/** Its own prefix: no supervisor of another test sweeps these dirs. */
const PREFIX = "hero-marktest-";

function nameOf(dir: string): string {
  return dir.slice(dir.lastIndexOf("/") + 1);
}

function environOf(pid: number): string {
  try {
    return new TextDecoder().decode(Deno.readFileSync(`/proc/${pid}/environ`));
  } catch {
    return "";
  }
}

function sleeper(env: Record<string, string>, args = ["600"], program = SLEEP) {
  return new Deno.Command(program, { args, env, stdin: "null", stdout: "null", stderr: "null" })
    .spawn();
}

Deno.test("the next start ends what a dead supervisor launched, bubblewrap's orphaned init included, and nothing else", async () => {
  const bwrapPath = (await probeBwrap()).info?.path;
  assert(bwrapPath, "bubblewrap is not installed (CI installs it)");
  const dead = await makeOwnedTempDir(PREFIX);
  dead.release(); // its owner is gone
  const live = await makeOwnedTempDir(PREFIX);
  const deadMark = { [LAUNCH_MARK]: nameOf(dead.path) };
  const children: Deno.ChildProcess[] = [];
  const leftovers: number[] = [];
  let runtime: ProcessRuntime | null = null;
  try {
    // The dead one's: a program, and one that started another (the mark goes down with it).
    const program = sleeper(deadMark);
    const shell = sleeper(deadMark, ["-c", "sleep 600 & wait"], "/bin/sh");
    // Another owner's (alive), and nobody's.
    const others = sleeper({ [LAUNCH_MARK]: nameOf(live.path) });
    const unmarked = sleeper({});
    // bubblewrap as it is in the moment a supervisor killed outright leaves it: its own
    // parent-death signal not set yet (no --die-with-parent here), then killed itself.
    const bwrap = new Deno.Command(bwrapPath, {
      args: [
        "--ro-bind",
        "/",
        "/",
        "--dev",
        "/dev",
        "--proc",
        "/proc",
        "--unshare-pid",
        "--new-session",
        "--",
        SLEEP,
        "600",
      ],
      env: deadMark,
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    children.push(program, shell, others, unmarked, bwrap);
    const [shellChild] = await eventually(
      () => {
        const kids = descendantsOf(shell.pid);
        return kids.length ? kids : null;
      },
      10_000,
      "the shell's sleep",
    );
    // The namespace's init and its program.
    const tree = await eventually(
      () => {
        const kids = descendantsOf(bwrap.pid);
        return kids.length >= 2 ? kids : null;
      },
      10_000,
      "bubblewrap's init and program",
    );
    leftovers.push(shellChild, ...tree);
    // Marked, all of them: the init is a fork of bubblewrap, the program inherits.
    for (const pid of tree) {
      assert(environOf(pid).includes(`${LAUNCH_MARK}=${nameOf(dead.path)}\0`), `pid ${pid}`);
    }
    bwrap.kill("SIGKILL");
    await bwrap.status;
    // They run on without it: nothing else would end them.
    await new Promise((r) => setTimeout(r, 300));
    for (const pid of tree) assert(isAlive(pid), `${pid} should still run after bubblewrap died`);

    runtime = await ProcessRuntime.open(PREFIX, { sandbox: "off" });

    await eventually(
      () => [program.pid, shell.pid, ...leftovers].every((pid) => !isAlive(pid)),
      10_000,
      "the dead supervisor's processes gone",
    );
    assertEquals((await program.status).signal, "SIGKILL");
    assertEquals((await shell.status).signal, "SIGKILL");
    assert(isAlive(others.pid), "another owner's process was killed");
    assert(isAlive(unmarked.pid), "an unmarked process was killed");
    // The dead owner's dir went with it.
    assertEquals(await Deno.stat(dead.path).then(() => true, () => false), false);
  } finally {
    for (const child of children) {
      try {
        child.kill("SIGKILL");
      } catch {
        // Gone already.
      }
      await child.status;
    }
    for (const pid of leftovers) {
      try {
        Deno.kill(pid, "SIGKILL");
      } catch {
        // Gone already.
      }
    }
    await runtime?.close();
    live.release();
    await Deno.remove(live.path, { recursive: true }).catch(() => {});
    await Deno.remove(dead.path, { recursive: true }).catch(() => {});
  }
});

Deno.test("what a supervisor launches carries its mark, through bubblewrap's init to the program", async () => {
  const runtime = await ProcessRuntime.open(PREFIX);
  try {
    assert(runtime.sandbox.host.bwrap, "bubblewrap is not installed (CI installs it)");
    const name = nameOf(runtime.script.workDir.slice(0, runtime.script.workDir.lastIndexOf("/")));
    const confinement = runtime.sandbox.confinePrograms({});
    const jail = confinement.spawn(SLEEP, {
      args: ["600"],
      env: { PATH: "/usr/bin:/bin" },
      clearEnv: true,
      stdin: "null",
      stdout: "null",
      stderr: "null",
    });
    try {
      const tree = await eventually(
        () => {
          const kids = descendantsOf(jail.pid);
          const program = kids.find((pid) =>
            Deno.readTextFileSync(`/proc/${pid}/cmdline`).startsWith(`${SLEEP}\0`)
          );
          return program ? [jail.pid, ...kids] : null;
        },
        10_000,
        "the program in its namespace",
      );
      for (const pid of tree) {
        assert(environOf(pid).includes(`${LAUNCH_MARK}=${name}\0`), `pid ${pid} is not marked`);
      }
    } finally {
      jail.kill();
      await jail.child.status;
      await jail.release();
    }
  } finally {
    await runtime.close();
  }
});
