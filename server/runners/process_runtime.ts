/**
 * What a supervisor or a remote agent gives its runners to start processes
 * with: the session channel, a work directory, and the environments. A job
 * gets nothing of the supervisor's own environment: a session has PATH, HOME
 * (its work dir), a DENO_DIR of its own (see `session_deno_dir.ts`) and
 * Deno's own settings (see `session_process.ts`), which it cannot read
 * without an env grant; a
 * process runner has PATH and HOME, plus its config's `env`.
 *
 * @module
 */

import { SessionChannel } from "../sessions/session_channel.ts";
import { SessionDenoDir, type SessionDenoDirOptions } from "../sessions/session_deno_dir.ts";
import type { ScriptRuntime } from "./script_executor.ts";

const SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin";

/** The channel, work dir and environments of one supervisor or agent. */
export class ProcessRuntime {
  /** For script runners. */
  readonly script: ScriptRuntime;
  /** For process runners. */
  readonly processEnv: Record<string, string>;

  private constructor(script: ScriptRuntime, processEnv: Record<string, string>) {
    this.script = script;
    this.processEnv = processEnv;
  }

  /**
   * Opens the channel and makes a work dir and a session DENO_DIR named
   * `prefix…` in the temp dir. `denoDir`: the user's DENO_DIR, whose module
   * caches sessions share (default: `$DENO_DIR`, else `~/.cache/deno`); the
   * other options bound the sessions' own.
   */
  static async open(
    prefix: string,
    { denoDir, ...denoDirOptions }: { denoDir?: string } & SessionDenoDirOptions = {},
  ): Promise<ProcessRuntime> {
    const channel = await SessionChannel.open();
    const workDir = await Deno.makeTempDir({ prefix });
    const home = Deno.env.get("HOME") ?? workDir;
    return new ProcessRuntime(
      {
        channel,
        deno: Deno.execPath(),
        workDir,
        baseEnv: {
          PATH: SYSTEM_PATH,
          HOME: workDir,
          NO_COLOR: "1",
          DENO_NO_UPDATE_CHECK: "1",
        },
        denoDir: SessionDenoDir.open(
          denoDir ?? Deno.env.get("DENO_DIR") ?? `${home}/.cache/deno`,
          `${prefix}deno-`,
          denoDirOptions,
        ),
      },
      { PATH: Deno.env.get("PATH") ?? SYSTEM_PATH, HOME: home },
    );
  }

  /** Closes the channel and removes the work dir and the session DENO_DIRs. */
  async close(): Promise<void> {
    await this.script.channel.close();
    await Deno.remove(this.script.workDir, { recursive: true }).catch(() => {});
    await this.script.denoDir.close();
  }
}
