/**
 * Ending a process and everything it started.
 *
 * Runner and session processes are spawned `detached`, which makes each the
 * leader of its own process group; signalling the group (`-pid`) reaches
 * every grandchild that did not leave the group itself.
 *
 * @module
 */

import type { Timer } from "./timer.ts";

/** Sends a signal to a whole process group; false if the group is already gone. */
export function signalGroup(pid: number, signal: Deno.Signal): boolean {
  try {
    Deno.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * SIGTERM to the group, then SIGKILL after `graceMs` unless `exited`
 * settled first. Resolves when the leader has exited.
 */
export async function terminateGroup(
  pid: number,
  exited: Promise<unknown>,
  graceMs: number,
): Promise<void> {
  if (!signalGroup(pid, "SIGTERM")) {
    await exited;
    return;
  }
  let timer: Timer | undefined;
  const graceOver = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(true), graceMs);
  });
  const graceRanOut = await Promise.race([exited.then(() => false, () => false), graceOver]);
  clearTimeout(timer);
  // Grandchildren may outlive the leader: SIGKILL the group either way.
  signalGroup(pid, "SIGKILL");
  if (graceRanOut) await exited;
}
