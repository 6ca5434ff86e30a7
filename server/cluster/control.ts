/**
 * Control of a runner by whichever member has it: the one set of operations
 * (start, stop, restart, pause, resume, quarantine, scale, logs) that the
 * API's handlers apply to a local runner, and that a member applies when
 * another member asks it to (`commands.ts`).
 *
 * @module
 */

import type { Audit, Runner } from "../runners/runner.ts";

/** The operations one member may ask another to carry out on a runner. */
export const CONTROL_OPS = [
  "start",
  "stop",
  "restart",
  "pause",
  "resume",
  "quarantine",
  "scale",
  "logs",
] as const;

/** One of {@linkcode CONTROL_OPS}. */
export type ControlOp = typeof CONTROL_OPS[number];

/** What an operation takes besides the runner. */
export interface ControlArgs {
  /** `scale`: how many instances. */
  instances?: number;
  /** `logs`: how many of the last lines. */
  lines?: number;
}

/**
 * Carries out an operation on a runner of this member; `logs` returns its
 * lines, the others null. `start` is the member's own (it starts
 * dependencies first, where it has any).
 */
export async function applyControl(
  runner: Runner,
  op: ControlOp,
  args: ControlArgs,
  audit: Audit,
  start: () => Promise<unknown>,
): Promise<string[] | null> {
  switch (op) {
    case "start":
      await start();
      return null;
    case "stop":
      await runner.stop(audit);
      return null;
    case "restart":
      runner.restart(audit).catch(() => {});
      return null;
    case "pause":
      runner.pause(audit);
      return null;
    case "resume": {
      const resuming = runner.resume(audit);
      // Answered once it takes jobs again; a restart out of quarantine goes on after the answer.
      if (runner.state === "paused" || runner.state === "running") await resuming;
      else resuming.catch(() => {});
      return null;
    }
    case "quarantine":
      await runner.quarantine(audit);
      return null;
    case "scale":
      runner.scale(args.instances ?? runner.config.instances ?? 1, audit);
      return null;
    case "logs":
      return runner.log.tail(args.lines ?? 100);
  }
}
