/**
 * The shape of one entry of the method table.
 *
 * @module
 */

import type { ErrorCodeValue } from "./errors.ts";
import type { JsonSchema } from "./json_schema.ts";

/**
 * Who may call a method. `public` needs no secret; `any` needs a secret of
 * any kind; the others need a secret of that kind or an admin secret.
 */
export type Scope = "public" | "any" | "register" | "user" | "admin";

/** The secret kinds that may call a method of each scope. */
export const scopeAllows: Record<Scope, readonly ("admin" | "user" | "register")[]> = {
  public: ["admin", "user", "register"],
  any: ["admin", "user", "register"],
  register: ["admin", "register"],
  user: ["admin", "user"],
  admin: ["admin"],
};

/** One named param of a method. */
export interface ParamSpec {
  name: string;
  schema: JsonSchema;
  required?: boolean;
  description?: string;
}

/**
 * A documented call and its answer. `params` are by name; the names given
 * must be a leading run of the method's params, so that the same example
 * also reads correctly by position (as OpenRPC tools replay it).
 */
export interface ExampleSpec {
  name: string;
  summary?: string;
  params: Record<string, unknown>;
  result: unknown;
}

/** One method of the API: everything the server, client and document need. */
export interface MethodSpec {
  name: string;
  summary: string;
  description?: string;
  scope: Scope;
  /** Groups methods in the document and the dashboard: jobs, runners, admin... */
  tag: string;
  params: ParamSpec[];
  result: { name: string; schema: JsonSchema; description?: string };
  examples: ExampleSpec[];
  /** Errors this method may answer with, besides those every method may. */
  errors: ErrorCodeValue[];
}

/** A method's params as one object schema (without `secret`, which the transport handles). */
export function paramsSchema(method: MethodSpec): JsonSchema {
  return {
    type: "object",
    additionalProperties: false,
    required: method.params.filter((p) => p.required).map((p) => p.name),
    properties: Object.fromEntries(
      method.params.map((p) => [p.name, { ...p.schema, description: p.description }]),
    ),
  };
}
