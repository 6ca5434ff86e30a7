/**
 * What a supervisor or a remote agent gives its runners to start processes
 * with: the session channel, a work directory, and the environments. A job
 * gets nothing of the supervisor's own environment: a session has PATH, HOME
 * (its work dir), DENO_DIR and Deno's own settings (see `session_process.ts`),
 * which it cannot read without an env grant; a
 * process runner has PATH and HOME, plus its config's `env`.
 *
 * @module
 */

import { SessionChannel } from "../sessions/session_channel.ts";
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

  /** Opens the channel and makes a work dir named `prefix…` in the temp dir. */
  static async open(prefix: string): Promise<ProcessRuntime> {
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
          DENO_DIR: Deno.env.get("DENO_DIR") ?? `${home}/.cache/deno`,
        },
      },
      { PATH: Deno.env.get("PATH") ?? SYSTEM_PATH, HOME: home },
    );
  }

  /** Closes the channel and removes the work dir. */
  async close(): Promise<void> {
    await this.script.channel.close();
    await Deno.remove(this.script.workDir, { recursive: true }).catch(() => {});
  }
}
