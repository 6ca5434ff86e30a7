/**
 * JSON Schema validation with messages a person can act on.
 *
 * Ajv does the validating; this module turns its first error into one line
 * that names the offending key and says what was expected and what came:
 * `port: expected an integer 1-65535, got "abc"`. The same wording serves
 * invalid params (-32602) and config errors.
 *
 * @module
 */

import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import type { JsonSchema } from "../../shared/json_schema.ts";

// Two compilers: a fast one that stops at the first error (every valid value takes
// this path), and a thorough one that finds the error worth reporting (invalid only).
const fast = new Ajv({ allErrors: false, strict: true, allowUnionTypes: true });
const thorough = new Ajv({
  allErrors: true,
  verbose: true,
  strict: true,
  allowUnionTypes: true,
});
for (const ajv of [fast, thorough]) {
  ajv.addKeyword({ keyword: "x-expected", schemaType: "string" });
}

/** Describes, in words, the values a schema accepts. */
export function describeSchema(schema: JsonSchema): string {
  if (schema["x-expected"]) return schema["x-expected"];
  if (schema.enum) {
    return `one of ${schema.enum.map((v) => JSON.stringify(v)).join(", ")}`;
  }
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  const union = schema.anyOf ?? schema.oneOf;
  if (union) {
    const parts = union.map(describeSchema);
    return parts.length <= 2
      ? parts.join(" or ")
      : `${parts.slice(0, -1).join(", ")} or ${parts.at(-1)}`;
  }
  switch (schema.type) {
    case "integer":
    case "number": {
      const noun = schema.type === "integer" ? "an integer" : "a number";
      const { minimum: min, maximum: max, exclusiveMinimum: xmin } = schema;
      if (min !== undefined && max !== undefined) {
        return `${noun} ${min}-${max}`;
      }
      if (xmin !== undefined && max !== undefined) {
        return `${noun} > ${xmin} and <= ${max}`;
      }
      if (min !== undefined) return `${noun} >= ${min}`;
      if (xmin !== undefined) return `${noun} > ${xmin}`;
      if (max !== undefined) return `${noun} <= ${max}`;
      return noun;
    }
    case "string": {
      const { minLength: min, maxLength: max } = schema;
      if (min !== undefined && max !== undefined) {
        return `a string of ${min}-${max} characters`;
      }
      if (min !== undefined) {
        return min === 1 ? "a non-empty string" : `a string of at least ${min} characters`;
      }
      if (max !== undefined) return `a string of at most ${max} characters`;
      return "a string";
    }
    case "boolean":
      return "true or false";
    case "null":
      return "null";
    case "array":
      return schema.items?.type === "string" ? "an array of strings" : "an array";
    case "object":
      return "a table of keys and values";
    default:
      return "a value";
  }
}

/** How a received value reads in a message: short, and never a whole object. */
export function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value !== null && typeof value === "object") return "a table";
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}..."` : text;
}

/** Joins a JSON pointer onto a base path: `runners` + `/0/name` → `runners[0].name`. */
export function joinPath(base: string, pointer: string): string {
  let path = base;
  for (const raw of pointer.split("/").slice(1)) {
    const part = raw.replaceAll("~1", "/").replaceAll("~0", "~");
    if (/^\d+$/.test(part)) path += `[${part}]`;
    else path += path ? `.${part}` : part;
  }
  return path;
}

function formatError(error: ErrorObject, base: string, root: string): string {
  const path = joinPath(base, error.instancePath);
  const here = path || root;
  switch (error.keyword) {
    case "required": {
      const key = (error.params as { missingProperty: string }).missingProperty;
      return `${joinPath(path, `/${key}`)}: required`;
    }
    case "additionalProperties": {
      const key = (error.params as { additionalProperty: string }).additionalProperty;
      const known = Object.keys(
        (error.parentSchema as JsonSchema).properties ?? {},
      );
      const hint = known.length ? ` (known: ${known.join(", ")})` : "";
      return `${here}: unknown key "${key}"${hint}`;
    }
    case "propertyNames": {
      const name = (error.params as { propertyName: string }).propertyName;
      const rule = (error.schema as JsonSchema) ?? {};
      return `${here}: key ${JSON.stringify(name)} is not ${describeSchema(rule)}`;
    }
    case "uniqueItems":
      return `${here}: has a duplicate (items must be unique)`;
    case "maxItems":
    case "maxProperties":
      return `${here}: too many (at most ${(error.params as { limit: number }).limit})`;
    case "minItems":
      return `${here}: too few (at least ${(error.params as { limit: number }).limit})`;
    default:
      return `${here}: expected ${describeSchema(error.parentSchema as JsonSchema)}, got ${
        describeValue(error.data)
      }`;
  }
}

/**
 * Picks the error worth reporting: an unknown key first (it is often the
 * misspelling of a missing one), then a failed union (it says more than its
 * branches), then the first.
 */
function pickError(errors: ErrorObject[]): ErrorObject {
  return errors.find((e) => e.keyword === "additionalProperties") ??
    errors.find((e) => e.keyword === "anyOf" || e.keyword === "oneOf") ??
    errors[0];
}

/** A compiled schema: `check` returns null when valid, else one message. */
export interface Validator {
  check(value: unknown, path?: string): string | null;
}

/**
 * Compiles a schema once. Messages name keys relative to `path` (e.g. a param
 * name); a fault of the whole value is named `root` ("params", "config").
 */
export function compileValidator(
  schema: JsonSchema,
  root = "value",
): Validator {
  const isValid: ValidateFunction = fast.compile(
    schema as Record<string, unknown>,
  );
  let explain: ValidateFunction | undefined;
  return {
    check(value: unknown, path = ""): string | null {
      if (isValid(value)) return null;
      explain ??= thorough.compile(schema as Record<string, unknown>);
      explain(value);
      return formatError(pickError(explain.errors ?? []), path, root);
    },
  };
}
