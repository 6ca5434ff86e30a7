/**
 * Ending a process and everything it started.
 *
 * Runner and session processes are spawned as the leader of their own
 * session and process group; signalling the group (`-pid`) reaches every
 * grandchild that did not leave the group itself.
 *
 * @module
 */

import type { Timer } from "./timer.ts";

/** `setsid` (util-linux), where the system has it. */
const SETSID = ["/usr/bin/setsid", "/bin/setsid"].find(isExecutable);

function isExecutable(path: string): boolean {
  try {
    const info = Deno.statSync(path);
    return info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0;
  } catch {
    return false;
  }
}

/**
 * `setpriv` (util-linux), where it can set the parent-death signal
 * (`--pdeathsig`, util-linux 2.33 on): asked once, on first use.
 */
let setpriv: string | null | undefined;
function setprivPath(): string | null {
  if (setpriv !== undefined) return setpriv;
  setpriv = null;
  for (const path of ["/usr/bin/setpriv", "/bin/setpriv"]) {
    if (!isExecutable(path)) continue;
    try {
      const help = new Deno.Command(path, { args: ["--help"], stdout: "piped", stderr: "null" })
        .outputSync();
      if (new TextDecoder().decode(help.stdout).includes("--pdeathsig")) setpriv = path;
    } catch {
      // Not runnable here.
    }
    break;
  }
  return setpriv;
}

/**
 * Spawns `program` as the leader of a new session and process group.
 *
 * Deno's `detached` forks the whole parent, which for a supervisor of a
 * few hundred MiB costs milliseconds of its event loop per spawn. Through
 * `setsid`, the spawn is a cheap `posix_spawn`, and `setsid` makes the
 * process a group leader before it runs the program, with the same pid.
 * Until then it is not a group leader yet: {@linkcode terminateGroup} then
 * signals it alone. Without `setsid`, or for a program that is not an
 * executable file (so that Deno's own error says why it cannot start),
 * `detached` is used.
 *
 * `dieWithParent`: the program gets SIGKILL when the supervisor dies, even
 * by SIGKILL (`setpriv --pdeathsig`, set before the program runs and kept
 * across its exec). Without it a service outlived a killed supervisor
 * (measured: 3 of 3 with no sandbox). Without `setsid`, or a `setpriv`
 * that can, the program is spawned without it. (What bubblewrap runs is
 * bound by its own `--die-with-parent`.)
 */
export function spawnGroupLeader(
  program: string,
  options: Deno.CommandOptions,
  { dieWithParent = false }: { dieWithParent?: boolean } = {},
): Deno.ChildProcess {
  if (SETSID && program.startsWith("/") && isExecutable(program)) {
    const bind = dieWithParent ? setprivPath() : null;
    return new Deno.Command(SETSID, {
      ...options,
      args: bind
        ? [bind, "--pdeathsig", "KILL", "--", program, ...(options.args ?? [])]
        : [program, ...(options.args ?? [])],
    })
      .spawn();
  }
  return new Deno.Command(program, { ...options, detached: true }).spawn();
}

/** Sends a signal to a whole process group; false if the group is already gone. */
export function signalGroup(pid: number, signal: Deno.Signal): boolean {
  try {
    Deno.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Sends a signal to one process; false if it is already gone. */
export function signalProcess(pid: number, signal: Deno.Signal): boolean {
  try {
    Deno.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * Signals the process and its group when it leads one; the process alone
 * otherwise (one spawned without a group of its own, or a group leader just
 * spawned, before `setsid` ran). False if it is gone.
 */
export function signalTree(pid: number, signal: Deno.Signal): boolean {
  return signalGroup(pid, signal) || signalProcess(pid, signal);
}

/**
 * SIGTERM, then SIGKILL after `graceMs` unless `exited` settled first, to
 * the process's group (or the process, while it leads none yet); with
 * `send = signalProcess`, to a process spawned without a group of its own.
 * Resolves when the process has exited.
 */
export async function terminateGroup(
  pid: number,
  exited: Promise<unknown>,
  graceMs: number,
  send: (pid: number, signal: Deno.Signal) => boolean = signalTree,
): Promise<void> {
  if (!send(pid, "SIGTERM")) {
    await exited;
    return;
  }
  let timer: Timer | undefined;
  const graceOver = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(true), graceMs);
  });
  const graceRanOut = await Promise.race([
    exited.then(() => false, () => false),
    graceOver,
  ]);
  clearTimeout(timer);
  // Grandchildren may outlive the leader: SIGKILL the group either way.
  send(pid, "SIGKILL");
  if (graceRanOut) await exited;
}
