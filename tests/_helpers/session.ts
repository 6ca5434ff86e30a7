/**
 * One job in one real session process, for tests of what sessions do below
 * the runner: spawned as a script runner would, with a runtime's channel,
 * work dir and next session DENO_DIR.
 *
 * @module
 */

import type { ProcessRuntime } from "../../server/runners/process_runtime.ts";
import { SESSION_HOST } from "../../server/runners/script_executor.ts";
import { permissionFlags } from "../../server/sessions/deno_flags.ts";
import { type SessionOutcome, SessionProcess } from "../../server/sessions/session_process.ts";
import type { Permissions } from "../../shared/types.generated.ts";

/** How the session is set up. */
export interface SessionSetup {
  permissions?: Permissions;
  /** Added to the session's environment. */
  env?: Record<string, string>;
  /** The npm registry the permissions are checked against (as `permissionFlags` takes it). */
  npmRegistry?: string;
}

/** Runs `payload` in a fresh session: how it ended, and the DENO_DIR it had. */
export async function runInSession(
  runtime: ProcessRuntime,
  payload: string,
  setup: SessionSetup = {},
): Promise<{ outcome: SessionOutcome; denoDir: string }> {
  const { script } = runtime;
  const { flags, revoke, startsProcesses } = permissionFlags(
    setup.permissions,
    script.channel.path,
    script.workDir,
    setup.npmRegistry,
  );
  const denoDir = script.denoDir.forNextSession();
  const confinement = script.sandbox.confineSessions({
    permissions: setup.permissions ?? {},
    memoryMb: 128,
    deno: script.deno,
    hostPath: SESSION_HOST,
    socket: script.channel.path,
    cwd: script.workDir,
    sharedCaches: script.sharedCaches,
  });
  const session = new SessionProcess({
    deno: script.deno,
    hostPath: SESSION_HOST,
    permissionFlags: flags,
    revoke,
    ownGroup: startsProcesses,
    memoryMb: 128,
    env: { ...script.baseEnv, DENO_DIR: denoDir, ...setup.env },
    cwd: script.workDir,
    channel: script.channel,
    confinement,
  }, () => {});
  await session.ready;
  const outcome = await session.run({ id: "job", env_vars: {}, attempt: 1 }, payload, () => {});
  await session.exited;
  return { outcome, denoDir };
}
