/**
 * The OS sandbox under Deno's permissions: what the host can enforce
 * (`probe.ts`), the file system a session sees (`mounts.ts`), control groups
 * (`cgroups.ts`), one confined process tree (`jail.ts`), and per runner, the
 * confinement that ties them together (`sandbox.ts`).
 *
 * @module
 */

export * from "./sandbox.ts";
export { Jailed } from "./jail.ts";
export { killMarked, LAUNCH_MARK } from "./launch_mark.ts";
export type { CgroupLimits } from "./cgroups.ts";
export type { HostSandbox } from "./probe.ts";
