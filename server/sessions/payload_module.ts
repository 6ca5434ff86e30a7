/**
 * A job's payload as the module a session imports: JavaScript when the
 * supervisor can strip its types without changing what it does, else the
 * TypeScript as given, for Deno to transpile in the session.
 *
 * Why: transpiling TypeScript costs a fresh session process about 0.3 ms of
 * its job's time (measured), and a session that never transpiles is spared
 * the transpiler's start too; stripping a small payload here takes a few
 * microseconds. Stripping only blanks types out, so line and column numbers
 * (and so stack traces) stay as written.
 *
 * @module
 */

import { stripTypeScriptTypes } from "node:module";

/** A payload ready for a session host. */
export interface PayloadModule {
  /** The module's source. */
  source: string;
  /** How the host imports it. */
  language: "javascript" | "typescript";
}

/**
 * Past this size a payload goes as written: stripping takes about 65 ns a
 * character here, on the supervisor's own thread, while a session's
 * transpile runs in the session.
 */
export const MAX_STRIPPED_CHARS = 8 * 1024;

/**
 * An import declaration. Deno drops an import whose bindings are only used
 * as types, so that the imported module is never loaded; stripping keeps
 * it. A payload with one (or with the word in a string or a comment: the
 * check errs on the safe side) is left to Deno.
 */
const IMPORT_DECLARATION = /\bimport\s*[\w${*]/;

/**
 * The payload as a session imports it. Stripped of types only when that
 * runs it exactly as Deno would: small, no import declarations, and only
 * types that can be erased (an enum, a namespace, a parameter property or
 * a decorator makes stripping fail). Anything else, a syntax error
 * included, stays TypeScript, so that Deno itself runs it or says what is
 * wrong with it.
 */
export function payloadModule(payload: string): PayloadModule {
  // The same payload over and over (a runner's usual job) is stripped once.
  const known = recent.get(payload);
  if (known) return known;
  const module = strip(payload);
  if (recent.size >= RECENT_PAYLOADS) recent.delete(recent.keys().next().value!);
  recent.set(payload, module);
  return module;
}

/** Payloads seen lately, and their modules (the oldest go first). */
const recent = new Map<string, PayloadModule>();
const RECENT_PAYLOADS = 256;

function strip(payload: string): PayloadModule {
  if (
    payload.length <= MAX_STRIPPED_CHARS && !IMPORT_DECLARATION.test(payload)
  ) {
    try {
      return {
        source: stripTypeScriptTypes(payload, { mode: "strip" }),
        language: "javascript",
      };
    } catch {
      // Not erasable, or not valid: Deno's own transpile decides.
    }
  }
  return { source: payload, language: "typescript" };
}
