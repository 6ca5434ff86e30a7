/**
 * Programs under supervision: the `service` runner kind, how a runner's
 * programs are started (`simple` or `tmux:SESSION`), and readiness and
 * health checks.
 *
 * @module
 */

export * from "./launch.ts";
export * from "./checks.ts";
export { ServiceExecutor, type ServiceExecutorOptions } from "./service_executor.ts";
export { findTmux, TmuxLauncher } from "./tmux.ts";
