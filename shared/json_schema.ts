/**
 * The subset of JSON Schema (draft 7) that the shared schemas use.
 *
 * Keeping to a known subset lets three consumers agree on every schema: the
 * server's validator (Ajv), the OpenRPC document and the TypeScript generator.
 *
 * @module
 */

/** A JSON Schema object, restricted to the keywords this project uses. */
export interface JsonSchema {
  /** Component name; a schema with a title is emitted once under `components`. */
  title?: string;
  description?: string;
  type?: "string" | "number" | "integer" | "boolean" | "object" | "array" | "null";
  enum?: readonly (string | number)[];
  const?: string | number | boolean;
  properties?: Record<string, JsonSchema>;
  required?: readonly string[];
  additionalProperties?: boolean | JsonSchema;
  propertyNames?: JsonSchema;
  items?: JsonSchema;
  anyOf?: readonly JsonSchema[];
  oneOf?: readonly JsonSchema[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  maxProperties?: number;
  minProperties?: number;
  default?: unknown;
  examples?: readonly unknown[];
  /** Human wording of what a value must be, used in error messages ("a runner name ..."). */
  "x-expected"?: string;
}

/** The value kinds JSON can carry, as named in error messages. */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | JsonValue[]
  | { [key: string]: JsonValue };
