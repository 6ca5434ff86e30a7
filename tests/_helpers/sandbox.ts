/**
 * Running the sandbox tests against both layers: with the OS layer
 * required (the test fails, never skips, on a host without bubblewrap: CI
 * installs it) and with it off (Deno's permissions only), so that each test
 * shows what each layer catches. Control groups are the one part a user
 * cannot install: where this user may make none (not root, no delegated
 * cgroup v2), the variants that need them are ignored, and the namespaces
 * are tested without them. Leftover processes are counted by the OS, by a
 * marker in their command line.
 *
 * @module
 */

import type { RunnerConfig, RunnerStatus } from "../../shared/types.generated.ts";
import { probeCgroups } from "../../server/sandbox/probe.ts";
import { eventually } from "./assert.ts";
import { findProcesses } from "./processes.ts";
import { startSupervisor, type TestSupervisor } from "./supervisor.ts";

/** The two ways the suite runs: the OS layer required, or off. */
export const LAYERS = ["os", "off"] as const;
export type Layer = typeof LAYERS[number];

/** Whether this user may make control groups here (they are in the OS layer when it may). */
export const CGROUPS_HERE = probeCgroups().layout !== null;

/** One way a sandbox suite runs. */
export interface Variant {
  layer: Layer;
  isolation: "job" | "runner";
  /** With control groups (the OS layer only). */
  cgroups: boolean;
  name: string;
  /** The variant needs control groups and this user may make none. */
  ignore: boolean;
}

/**
 * The variants the sandbox suites run under: each layer with a fresh
 * process per job, the OS layer with runner isolation (one process serving
 * many jobs: what one job does must not outlast it there either), and the
 * OS layer without control groups (`sandbox_cgroups = false`, as on a host
 * that gives this user none: the namespaces alone must hold).
 */
export const VARIANTS: readonly Variant[] = ([
  { layer: "os", isolation: "job", cgroups: true, name: "os" },
  { layer: "off", isolation: "job", cgroups: false, name: "off" },
  { layer: "os", isolation: "runner", cgroups: true, name: "os, runner isolation" },
  { layer: "os", isolation: "job", cgroups: false, name: "os without control groups" },
] as const).map((v) => ({ ...v, ignore: v.cgroups && !CGROUPS_HERE }));

/**
 * A supervisor with `runners` (script runners under `isolation`), the OS
 * layer required (with control groups where this user may make them, unless
 * `cgroups` says) or off; waits until they are ready.
 */
export async function startSandboxed(
  layer: Layer,
  runners: RunnerConfig[],
  isolation: "job" | "runner" = "job",
  cgroups = CGROUPS_HERE,
): Promise<TestSupervisor> {
  const s = await startSupervisor({
    sandbox: layer === "os" ? "require" : "off",
    sandbox_cgroups: cgroups,
    runners: runners.map((r) => r.kind === "script" ? { ...r, isolation } : r),
  });
  try {
    // Runners start one after the other: wait for each to be running, not just started.
    for (const r of runners) {
      await eventually(() => s.sup.runners.get(r.name).state === "running", 20_000, `${r.name} up`);
    }
  } catch (error) {
    await s.close();
    throw error;
  }
  return s;
}

/** A job's result through `job.run`. */
export function run(
  s: TestSupervisor,
  runner: string,
  payload: string,
  extra: Record<string, unknown> = {},
): Promise<{ success?: unknown; error?: string }> {
  return s.user.call("job.run", { job: { runner, payload, ...extra } });
}

/** A runner's status. */
export function statusOf(s: TestSupervisor, name: string): Promise<RunnerStatus> {
  return s.admin.call<RunnerStatus>("get_runner_status", { name });
}

/**
 * A `sleep` whose command line is unique to one test, so that the OS can
 * tell whether any is left: `sleep 3000.<digits>` (GNU sleep takes fractions).
 */
export function markedSleep(): { seconds: string; alive: () => number[] } {
  const seconds = `3000.${crypto.getRandomValues(new Uint32Array(1))[0]}`;
  return { seconds, alive: () => findProcesses(`sleep ${seconds}`) };
}

/** Kills what a test left on purpose (the escapes the OS layer is there to stop). */
export function killAll(pids: number[]): void {
  for (const pid of pids) {
    try {
      Deno.kill(pid, "SIGKILL");
    } catch {
      // Gone.
    }
  }
}
