/**
 * `process_manager = "tmux:SESSION"`: each instance runs in a window of that
 * tmux session, so that `tmux attach -t SESSION` shows it live (the seed's
 * process manager). Its output still reaches the runner's log: the pane is
 * piped (`pipe-pane`) into a FIFO the supervisor reads, and a process
 * runner's frames travel over two more FIFOs (its stdin and stdout), its
 * stderr staying on the pane.
 *
 * The program starts only once the pipe is in place (it waits on a gate
 * FIFO first), so no line is lost. The window is kept after the program
 * exits (`remain-on-exit`) until its exit status is read, then closed
 * (a restart opens a new one). The
 * pane leads its own session, so a signal to its group reaches everything
 * the program started. tmux windows run outside the OS sandbox's namespaces
 * and control groups: the process group is what contains them.
 *
 * @module
 */

import type { Timer } from "../util/timer.ts";
import { signalGroup } from "../util/process_group.ts";
import { withDeadline } from "../util/with_deadline.ts";
import { type Launched, type Launcher, type LaunchSpec, userPrefix } from "./launch.ts";

/** Where tmux is (`HERO_TMUX` names it when it is elsewhere), or null when it is not installed. */
export function findTmux(): string | null {
  const given = Deno.env.get("HERO_TMUX");
  const paths = given ? [given] : ["/usr/bin/tmux", "/usr/local/bin/tmux", "/bin/tmux"];
  for (const path of paths) {
    try {
      if (Deno.statSync(path).isFile) return path;
    } catch {
      // Not there.
    }
  }
  return null;
}

const POLL_MS = 200;

/** How long the other end of a FIFO may take to open (tmux starts it). */
const FIFO_OPEN_MS = 15_000;

/**
 * Opens one end of a FIFO, which waits for the other end; throws (naming
 * `peer`) when that never comes, instead of waiting forever: the pending
 * open is then satisfied by an end of our own (read+write never waits on
 * Linux) and both are closed.
 */
async function openFifo(
  path: string,
  mode: { read: true } | { write: true },
  peer: string,
): Promise<Deno.FsFile> {
  const opening = Deno.open(path, mode);
  const message = `${peer} did not open ${path} within ${FIFO_OPEN_MS / 1000} s`;
  try {
    return await withDeadline(FIFO_OPEN_MS, () => opening, message);
  } catch (error) {
    if ((error as Error).message !== message) throw error;
    const unblock = await Deno.open(path, { read: true, write: true });
    (await opening).close();
    unblock.close();
    throw error;
  }
}

/** Starts instances in windows of one tmux session. */
export class TmuxLauncher implements Launcher {
  readonly name: string;
  readonly #tmux: string;
  readonly #session: string;
  /** Where the FIFOs of its windows go (a private dir). */
  readonly #dir: string;
  #count = 0;

  constructor(session: string, tmux: string, dir: string) {
    this.#session = session;
    this.#tmux = tmux;
    this.#dir = dir;
    this.name = `tmux:${session}`;
  }

  async #run(...args: string[]): Promise<string> {
    const out = await new Deno.Command(this.#tmux, {
      args,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      throw new Error(
        `tmux ${args[0]}: ${new TextDecoder().decode(out.stderr).trim() || `exit ${out.code}`}`,
      );
    }
    return new TextDecoder().decode(out.stdout).trim();
  }

  async launch(spec: LaunchSpec): Promise<Launched> {
    const dir = `${this.#dir}/${this.#session}-${++this.#count}`;
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    const fifos = spec.protocol ? ["gate", "pane", "in", "out"] : ["gate", "pane"];
    const mkfifo = await new Deno.Command("mkfifo", {
      args: ["-m", "600", ...fifos.map((f) => `${dir}/${f}`)],
    }).output();
    if (!mkfifo.success) throw new Error(new TextDecoder().decode(mkfifo.stderr).trim());
    // Waits at the gate, then becomes the program with exactly its environment (tmux's own
    // would leak in otherwise); a process runner's frames go through FIFOs, not the pane.
    const script = spec.protocol
      ? 'read _ < "$1"; i=$2; o=$3; shift 3; exec "$@" < "$i" > "$o"'
      : 'read _ < "$1"; shift; exec "$@"';
    const command = [
      "/bin/sh",
      "-c",
      script,
      "sh",
      `${dir}/gate`,
      ...(spec.protocol ? [`${dir}/in`, `${dir}/out`] : []),
      ...userPrefix(spec.user),
      "/usr/bin/env",
      "-i",
      ...Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
      spec.program,
      ...spec.args,
    ];
    const target = await this.#newWindow(spec, command);
    const [windowId, paneId, panePid] = target.split(" ");
    const pid = Number(panePid);
    const cleanup = async () => {
      await this.#run("kill-window", "-t", windowId).catch(() => {});
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    };
    try {
      await this.#run("set-option", "-w", "-t", windowId, "remain-on-exit", "on");
      await this.#run(
        "pipe-pane",
        "-O",
        "-t",
        paneId,
        `exec cat > '${dir}/pane'`,
      );
      const pane = await openFifo(`${dir}/pane`, { read: true }, "the pane's pipe (pipe-pane)");
      // Let it go: open the gate (its reader, the waiting shell, is there already).
      const gate = await openFifo(`${dir}/gate`, { write: true }, "the window's shell");
      await gate.write(new TextEncoder().encode("go\n"));
      gate.close();
      const frames = spec.protocol
        ? await Promise.all([
          openFifo(`${dir}/in`, { write: true }, "the program's stdin"),
          openFifo(`${dir}/out`, { read: true }, "the program's stdout"),
        ])
        : null;
      const status = this.#watch(pid, paneId);
      return {
        pid,
        stdin: frames ? frames[0].writable : null,
        stdout: frames ? frames[1] : pane,
        stderr: frames ? pane : null,
        status,
        signal: (signal) => signalGroup(pid, signal),
        kill: () => {
          signalGroup(pid, "SIGKILL");
        },
        release: async () => {
          for (const file of [pane, ...(frames?.slice(1) ?? [])]) {
            try {
              file.close();
            } catch {
              // Closed by its reader.
            }
          }
          await cleanup();
        },
        memoryExceeded: () => false,
      };
    } catch (error) {
      signalGroup(pid, "SIGKILL");
      await cleanup();
      throw error;
    }
  }

  /** Opens the window (and the session, if it is not there yet); "WINDOW PANE PID". */
  async #newWindow(spec: LaunchSpec, command: string[]): Promise<string> {
    const format = "#{window_id} #{pane_id} #{pane_pid}";
    const cwd = spec.cwd ? ["-c", spec.cwd] : [];
    const name = spec.name.replace(/[^A-Za-z0-9_.#-]/g, "_");
    try {
      await this.#run("has-session", "-t", `=${this.#session}`);
    } catch {
      try {
        return await this.#run(
          "new-session",
          "-d",
          "-P",
          "-F",
          format,
          "-s",
          this.#session,
          "-n",
          name,
          ...cwd,
          "--",
          ...command,
        );
      } catch {
        // Made meanwhile by another instance: add a window to it.
      }
    }
    return await this.#run(
      "new-window",
      "-d",
      "-P",
      "-F",
      format,
      "-t",
      `=${this.#session}:`,
      "-n",
      name,
      ...cwd,
      "--",
      ...command,
    );
  }

  /**
   * Resolves with its exit once the pane's process is gone: tmux reaps it,
   * the window stays (`remain-on-exit`) with the status, which is read here.
   */
  #watch(pid: number, paneId: string): Promise<Deno.CommandStatus> {
    return new Promise((resolve) => {
      let timer: Timer | undefined;
      const check = async () => {
        if (running(pid)) {
          timer = setTimeout(check, POLL_MS);
          return;
        }
        const dead = await this.#run(
          "display-message",
          "-p",
          "-t",
          paneId,
          "#{pane_dead_status} #{pane_dead_signal}",
        ).catch(() => "");
        // The window goes with it: that also ends the pane's pipe, so its output ends.
        await this.#run("kill-window", "-t", paneId).catch(() => {});
        const [code, signal] = dead.split(" ");
        const signo = Number(signal);
        resolve({
          success: code === "0",
          code: signo ? 128 + signo : Number(code || 1),
          signal: signo ? signalName(signo) : null,
        });
      };
      timer = setTimeout(check, POLL_MS);
      void timer;
    });
  }
}

/**
 * Whether a pane's process still runs. A zombie does not: tmux has been seen
 * (under load) to leave its exited pane process unreaped, which would
 * otherwise keep a stop waiting for good.
 */
function running(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // The state follows the command's closing parenthesis.
    return stat[stat.lastIndexOf(")") + 2] !== "Z";
  } catch {
    return false;
  }
}

const SIGNALS: Record<number, Deno.Signal> = {
  1: "SIGHUP",
  2: "SIGINT",
  3: "SIGQUIT",
  6: "SIGABRT",
  9: "SIGKILL",
  11: "SIGSEGV",
  13: "SIGPIPE",
  15: "SIGTERM",
};

function signalName(signo: number): Deno.Signal | null {
  return SIGNALS[signo] ?? null;
}
