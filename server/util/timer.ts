/**
 * The handle type of `setTimeout` and `setInterval` (a number in Deno, an
 * object where Node's types are loaded): one name for both.
 *
 * @module
 */

/** A timer handle. */
export type Timer = ReturnType<typeof setTimeout>;
