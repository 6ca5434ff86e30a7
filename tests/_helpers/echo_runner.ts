/**
 * The process-runner fixture `tests/fixtures/echo_runner.mjs` (a Node
 * program speaking the runner protocol), as a runner config.
 *
 * @module
 */

import type { RunnerConfig } from "../../shared/types.generated.ts";

/** The fixture program's path. */
export const ECHO_RUNNER = new URL("../fixtures/echo_runner.mjs", import.meta.url).pathname;

/**
 * A process runner of the fixture: one instance and quick restarts unless
 * `extra` says otherwise; `env` steers the fixture (`FIXTURE_*`).
 */
export function echoRunner(
  name: string,
  env: Record<string, string> = {},
  extra: Partial<RunnerConfig> = {},
): RunnerConfig {
  return {
    name,
    kind: "process",
    binary_path: "node",
    args: [ECHO_RUNNER],
    instances: 1,
    env,
    restart_delay: 0.05,
    restart_delay_max: 0.2,
    ...extra,
  };
}
