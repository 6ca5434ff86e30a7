/**
 * What a supervisor or a remote agent gives its runners to start processes
 * with: the session channel, a work directory, and the environments. A job
 * gets nothing of the supervisor's own environment: a session has PATH, HOME
 * (its work dir), a DENO_DIR of its own (see `session_deno_dir.ts`) and
 * Deno's own settings (see `session_process.ts`), which it cannot read
 * without an env grant; a process runner has PATH and HOME, plus its
 * config's `env`. Both also get the mark of `launch_mark.ts`.
 *
 * @module
 */

import { killMarked, Sandbox, type SandboxMode } from "../sandbox/mod.ts";
import { SessionChannel } from "../sessions/session_channel.ts";
import {
  SessionDenoDir,
  type SessionDenoDirOptions,
  SHARED_CACHES,
} from "../sessions/session_deno_dir.ts";
import { makeOwnedTempDir, type OwnedTempDir, sweepOrphanedDirs } from "../util/owned_temp_dir.ts";
import type { ScriptRuntime } from "./script_executor.ts";
import { pathExists } from "../util/path_exists.ts";

const SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin";

/** Options of {@linkcode ProcessRuntime.open}. */
export interface ProcessRuntimeOptions extends SessionDenoDirOptions {
  /** The user's DENO_DIR, whose module caches sessions share. */
  denoDir?: string;
  /** Whether to confine processes with the OS layer (default `auto`). */
  sandbox?: SandboxMode;
  /** Whether that layer makes control groups (default true): `sandbox_cgroups`. */
  sandboxCgroups?: boolean;
}

/** The channel, work dir and environments of one supervisor or agent. */
export class ProcessRuntime {
  /** For script runners. */
  readonly script: ScriptRuntime;
  /** For process runners. */
  readonly processEnv: Record<string, string>;
  /** The OS layer every runner's processes are confined by. */
  readonly sandbox: Sandbox;

  /** The temp dir that holds the channel's socket, the work dir and the session DENO_DIRs. */
  readonly #root: OwnedTempDir;

  private constructor(
    script: ScriptRuntime,
    processEnv: Record<string, string>,
    root: OwnedTempDir,
    sandbox: Sandbox,
  ) {
    this.script = script;
    this.processEnv = processEnv;
    this.#root = root;
    this.sandbox = sandbox;
  }

  /**
   * Makes a dir named `prefix…` in the temp dir, with the channel's socket,
   * the work dir and the session DENO_DIRs in it; removes those that earlier
   * processes left when they died (and their control groups, and kills the
   * processes they launched that still run). `denoDir`:
   * the user's DENO_DIR, whose module caches sessions share (default:
   * `$DENO_DIR`, else `~/.cache/deno`); the other options bound the
   * sessions' own. Throws when `sandbox` is `require` and a layer is missing.
   */
  static async open(
    prefix: string,
    { denoDir, sandbox: mode = "auto", sandboxCgroups, ...denoDirOptions }: ProcessRuntimeOptions =
      {},
  ): Promise<ProcessRuntime> {
    const root = await makeOwnedTempDir(prefix);
    // What their owners launched and left running goes with them (see `launch_mark.ts`).
    const orphaned = await sweepOrphanedDirs(prefix, root.path);
    killMarked(orphaned.map((dir) => dir.slice(dir.lastIndexOf("/") + 1)));
    const tmp = root.path.slice(0, root.path.lastIndexOf("/"));
    const name = root.path.slice(tmp.length + 1);
    let sandbox: Sandbox;
    try {
      // Its control group is named after the temp dir: a group whose dir is gone is orphaned.
      sandbox = await Sandbox.open(
        mode,
        name,
        prefix,
        (group) => !pathExists(`${tmp}/${group}`),
        { cgroups: sandboxCgroups },
      );
    } catch (error) {
      await Deno.remove(root.path, { recursive: true }).catch(() => {});
      root.release();
      throw error;
    }
    const channel = await SessionChannel.open(root.path);
    // Sessions' cwd and HOME: a job granted "." reaches this, not the DENO_DIRs beside it.
    const workDir = `${root.path}/work`;
    await Deno.mkdir(workDir);
    const programsDir = `${root.path}/programs`;
    await Deno.mkdir(programsDir, { mode: 0o700 });
    const home = Deno.env.get("HOME") ?? workDir;
    const userDenoDir = denoDir ?? Deno.env.get("DENO_DIR") ??
      `${home}/.cache/deno`;
    return new ProcessRuntime(
      {
        channel,
        deno: Deno.execPath(),
        sandbox,
        sharedCaches: SHARED_CACHES.map((name) => `${userDenoDir}/${name}`),
        workDir,
        programsDir,
        baseEnv: {
          PATH: SYSTEM_PATH,
          HOME: workDir,
          NO_COLOR: "1",
          DENO_NO_UPDATE_CHECK: "1",
        },
        denoDir: SessionDenoDir.open(userDenoDir, root.path, denoDirOptions),
      },
      { PATH: Deno.env.get("PATH") ?? SYSTEM_PATH, HOME: home },
      root,
      sandbox,
    );
  }

  /**
   * A directory of this process's alone (0700) in its temp dir, for private
   * sockets; removed with the temp dir.
   */
  async privateDir(name: string): Promise<string> {
    const dir = `${this.#root.path}/${name}`;
    await Deno.mkdir(dir, { mode: 0o700 });
    await Deno.chmod(dir, 0o700);
    return dir;
  }

  /** Removes the work dir and the session DENO_DIRs at once, for a forced exit. */
  removeFilesNow(): void {
    try {
      Deno.removeSync(this.#root.path, { recursive: true });
    } catch {
      // Gone already; or left for the next supervisor to sweep.
    }
  }

  /** Closes the channel and removes the work dir and the session DENO_DIRs. */
  async close(): Promise<void> {
    await this.script.channel.close();
    await this.script.denoDir.close();
    await Deno.remove(this.#root.path, { recursive: true }).catch(() => {});
    await this.sandbox.close();
    this.#root.release();
  }
}
