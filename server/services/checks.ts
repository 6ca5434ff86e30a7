/**
 * Readiness and health checks of services and process runners (a runner's
 * `check`): a `test` command (zinit's), a TCP port that accepts, an HTTP
 * URL that answers 2xx, a line of output that matches (readiness only).
 * All that are set must pass. Each check has its own deadline; a check
 * never hangs its runner.
 *
 * @module
 */

import type { HealthCheck } from "../../shared/types.generated.ts";
import { withDeadline } from "../util/with_deadline.ts";

/** A runner's check settings, with the defaults filled in (ms). */
export interface CheckSettings {
  intervalMs: number;
  timeoutMs: number;
  retries: number;
  startPeriodMs: number;
}

/** The settings of `check`, defaults filled in. */
export function checkSettings(check: HealthCheck | undefined): CheckSettings {
  return {
    intervalMs: (check?.interval ?? 10) * 1000,
    timeoutMs: (check?.timeout ?? 5) * 1000,
    retries: check?.retries ?? 3,
    startPeriodMs: (check?.start_period ?? 30) * 1000,
  };
}

/** What a check runs with. */
export interface CheckContext {
  env: Record<string, string>;
  cwd?: string;
  /** Whether a line of output matched `check.log` since the start (readiness only). */
  logMatched: () => boolean;
}

async function testCommand(command: string, ctx: CheckContext, signal: AbortSignal) {
  const out = await new Deno.Command("/bin/sh", {
    args: ["-c", command],
    clearEnv: true,
    env: ctx.env,
    cwd: ctx.cwd,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
    signal,
  }).output();
  if (out.success) return null;
  const last = new TextDecoder().decode(out.stderr).trim().split("\n").at(-1);
  return `test ${JSON.stringify(command)} exited with ${
    out.signal ? `signal ${out.signal}` : `code ${out.code}`
  }${last ? `: ${last}` : ""}`;
}

async function tcpAccepts(target: number | string) {
  const [hostname, port] = typeof target === "number"
    ? ["127.0.0.1", target]
    : [target.slice(0, target.lastIndexOf(":")), Number(target.slice(target.lastIndexOf(":") + 1))];
  try {
    const conn = await Deno.connect({ hostname, port });
    conn.close();
    return null;
  } catch (error) {
    return `tcp ${hostname}:${port}: ${(error as Error).message}`;
  }
}

async function httpAnswers(url: string, signal: AbortSignal) {
  try {
    const response = await fetch(url, { signal, redirect: "manual" });
    await response.body?.cancel();
    return response.status >= 200 && response.status < 300
      ? null
      : `http ${url}: status ${response.status}`;
  } catch (error) {
    return `http ${url}: ${(error as Error).message}`;
  }
}

/**
 * Runs every check `check` sets; null when all pass, else what failed.
 * `readiness`: the log check counts (it says the program started; later it
 * says nothing).
 */
export async function runChecks(
  check: HealthCheck,
  ctx: CheckContext,
  settings: CheckSettings,
  readiness: boolean,
): Promise<string | null> {
  const runs: Promise<string | null>[] = [];
  const limited = (name: string, fn: (signal: AbortSignal) => Promise<string | null>) =>
    withDeadline(settings.timeoutMs, fn).catch((error) => `${name}: ${(error as Error).message}`);
  if (check.test !== undefined) {
    runs.push(limited("test", (signal) => testCommand(check.test!, ctx, signal)));
  }
  if (check.tcp !== undefined) runs.push(limited("tcp", () => tcpAccepts(check.tcp!)));
  if (check.http !== undefined) {
    runs.push(limited("http", (signal) => httpAnswers(check.http!, signal)));
  }
  if (readiness && check.log !== undefined && !ctx.logMatched()) {
    runs.push(Promise.resolve(`no output line matched ${JSON.stringify(check.log)} yet`));
  }
  const failures = (await Promise.all(runs)).filter((r): r is string => r !== null);
  return failures.length ? failures.join("; ") : null;
}

/** Whether `check` has anything to check once ready (the log check does not). */
export function checksHealth(check: HealthCheck | undefined): boolean {
  return check?.test !== undefined || check?.tcp !== undefined || check?.http !== undefined;
}
