/**
 * The cluster: supervisors and remote agents sharing one store.
 *
 * @module
 */

export * from "./members.ts";
export * from "./commands.ts";
export * from "./control.ts";
