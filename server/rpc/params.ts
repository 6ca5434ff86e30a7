/**
 * Turns a request's `params` (by name or by position) into the named params
 * a handler receives, validated against the method table's schemas.
 *
 * @module
 */

import type { MethodSpec } from "../../shared/method_spec.ts";
import { paramsSchema } from "../../shared/method_spec.ts";
import { wireParams } from "../../shared/openrpc.ts";
import { compileValidator, type Validator } from "../validation/validator.ts";
import { invalidParams } from "./rpc_error.ts";

/** Keys that could reach an object's prototype when a handler copies params around. */
const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);

/**
 * Finds a forbidden key anywhere in a value; returns its path (under `path`),
 * or null. The path is made only for a key found: a bulk call's thousand jobs
 * would otherwise make a string for each of their keys.
 */
export function findForbiddenKey(value: unknown, path: string): string | null {
  const found = forbiddenPath(value, 0);
  if (!found) return null;
  let at = path;
  for (let i = found.length - 1; i >= 0; i--) {
    const step = found[i];
    at = typeof step === "number" ? `${at}[${step}]` : at ? `${at}.${step}` : step;
  }
  return at;
}

/** The steps to a forbidden key in `value`, the deepest first; null if none. */
function forbiddenPath(value: unknown, depth: number): (string | number)[] | null {
  if (value === null || typeof value !== "object" || depth > 64) return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = forbiddenPath(value[i], depth + 1);
      if (found) {
        found.push(i);
        return found;
      }
    }
    return null;
  }
  for (const key of Object.keys(value)) {
    if (FORBIDDEN_KEYS.has(key)) return [key];
    const found = forbiddenPath((value as Record<string, unknown>)[key], depth + 1);
    if (found) {
      found.push(key);
      return found;
    }
  }
  return null;
}

/** A method's params once parsed: the handler's params and the secret, if one came. */
export interface ParsedParams {
  params: Record<string, unknown>;
  secret?: string;
}

/** Parses and validates the params of one method. */
export class ParamsParser {
  readonly #method: MethodSpec;
  readonly #names: string[];
  readonly #validator: Validator;
  readonly #secretValidator: Validator | null;

  constructor(method: MethodSpec) {
    this.#method = method;
    const wire = wireParams(method);
    this.#names = wire.map((p) => p.name);
    this.#validator = compileValidator(paramsSchema(method), "params");
    const secret = wire.find((p) => p.name === "secret");
    this.#secretValidator = secret ? compileValidator(secret.schema, "secret") : null;
  }

  /** Parses `params` as it came on the wire (an object, an array, or absent). */
  parse(raw: unknown): ParsedParams {
    const forbidden = findForbiddenKey(raw, "");
    if (forbidden) {
      throw invalidParams(
        `params${forbidden.startsWith("[") ? "" : "."}${forbidden}: this key is not allowed`,
      );
    }
    const named: Record<string, unknown> = {};
    if (Array.isArray(raw)) {
      if (raw.length > this.#names.length) {
        throw invalidParams(
          `params: ${this.#method.name} takes at most ${this.#names.length} params by position ` +
            `(${this.#names.join(", ") || "none"}), got ${raw.length}`,
        );
      }
      // A null in a position stands for an absent optional param.
      raw.forEach((v, i) => v !== null && (named[this.#names[i]] = v));
    } else if (raw !== undefined) {
      Object.assign(named, raw);
    }
    let secret: string | undefined;
    if ("secret" in named && this.#secretValidator) {
      const problem = this.#secretValidator.check(named.secret, "secret");
      if (problem) throw invalidParams(problem);
      secret = named.secret as string;
      delete named.secret;
    }
    const problem = this.#validator.check(named);
    if (problem) throw invalidParams(problem);
    return { params: named, secret };
  }
}
