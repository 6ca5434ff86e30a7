/**
 * Builds the OpenRPC document from the method table and the schemas.
 *
 * The document is OpenRPC 1.2.6: the newest version that both
 * `@open-rpc/schema-utils-js` 2.x and the schema-utils bundled with
 * `@open-rpc/test-coverage` accept.
 *
 * @module
 */

import { ErrorCode, type ErrorCodeValue, errorMessages } from "./errors.ts";
import type { JsonSchema } from "./json_schema.ts";
import type { MethodSpec, ParamSpec } from "./method_spec.ts";
import { methods } from "./methods.ts";
import { components } from "./schemas.ts";
import { PRODUCT_NAME, VERSION } from "./version.ts";

/** The OpenRPC version of the document. */
export const OPENRPC_VERSION = "1.2.6";

/** The by-name `secret` param that every method needing a secret accepts. */
export const secretParam: ParamSpec = {
  name: "secret",
  schema: { type: "string", minLength: 1, maxLength: 512 },
  description: "The caller's secret, when it is not sent as `Authorization: Bearer SECRET`.",
};

/** A method's params as the wire accepts them: its own, then `secret` unless public. */
export function wireParams(method: MethodSpec): ParamSpec[] {
  return method.scope === "public" ? method.params : [...method.params, secretParam];
}

const componentNames = new Map<JsonSchema, string>(
  Object.entries(components).map(([name, schema]) => [schema, name]),
);

/**
 * Replaces every named component inside `schema` with a `$ref`. The root
 * itself is kept when `keepRoot` is set (for the component's own entry).
 */
function withRefs(schema: JsonSchema, keepRoot = false): unknown {
  const name = componentNames.get(schema);
  if (name && !keepRoot) return { $ref: `#/components/schemas/${name}` };
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    // `x-expected` words the server's error messages; it is not JSON Schema.
    if (value === undefined || key === "x-expected") continue;
    if (key === "properties") {
      out.properties = Object.fromEntries(
        Object.entries(value as Record<string, JsonSchema>).map(([k, v]) => [k, withRefs(v)]),
      );
    } else if (key === "anyOf" || key === "oneOf") {
      out[key] = (value as JsonSchema[]).map((v) => withRefs(v));
    } else if (
      (key === "items" || key === "additionalProperties" || key === "propertyNames") &&
      typeof value === "object"
    ) {
      out[key] = withRefs(value as JsonSchema);
    } else {
      out[key] = value;
    }
  }
  return out;
}

function errorsOf(method: MethodSpec): { code: number; message: string }[] {
  const codes: ErrorCodeValue[] = [ErrorCode.InvalidParams, ErrorCode.InternalError];
  if (method.scope !== "public") {
    codes.push(ErrorCode.Unauthenticated, ErrorCode.TooManyRequests);
    if (method.scope !== "any") codes.push(ErrorCode.Forbidden);
  }
  for (const code of method.errors) if (!codes.includes(code)) codes.push(code);
  return codes.map((code) => ({ code, message: errorMessages[code] }));
}

function methodObject(method: MethodSpec): Record<string, unknown> {
  const params = wireParams(method);
  const scopeNote = method.scope === "public"
    ? "No secret needed."
    : method.scope === "any"
    ? "Scope: any secret."
    : `Scope: ${method.scope}${method.scope === "admin" ? "" : " or admin"}.`;
  return {
    name: method.name,
    summary: method.summary,
    description: [method.description, scopeNote].filter(Boolean).join("\n\n"),
    tags: [{ name: method.tag }],
    paramStructure: "either",
    params: params.map((p) => ({
      name: p.name,
      ...(p.description ? { description: p.description } : {}),
      required: p.required ?? false,
      schema: withRefs(p.schema),
    })),
    result: {
      name: method.result.name,
      ...(method.result.description ? { description: method.result.description } : {}),
      schema: withRefs(method.result.schema),
    },
    errors: errorsOf(method),
    examples: method.examples.map((ex) => ({
      name: ex.name,
      ...(ex.summary ? { description: ex.summary } : {}),
      params: params
        .filter((p) => p.name in ex.params)
        .map((p) => ({ name: p.name, value: ex.params[p.name] })),
      result: { name: method.result.name, value: ex.result },
    })),
    "x-scope": method.scope,
  };
}

/** Options for {@linkcode buildOpenRpcDocument}. */
export interface OpenRpcOptions {
  /** The JSON-RPC endpoint to list under `servers` (default `http://127.0.0.1:3030/rpc`). */
  serverUrl?: string;
}

/** The OpenRPC document of the whole API. */
export function buildOpenRpcDocument(options: OpenRpcOptions = {}): Record<string, unknown> {
  return {
    openrpc: OPENRPC_VERSION,
    info: {
      title: "Hero Supervisor",
      version: VERSION,
      description: `JSON-RPC 2.0 API of ${PRODUCT_NAME}: jobs run on supervised, sandboxed ` +
        "runners. Send a secret as `Authorization: Bearer SECRET` or as the by-name param " +
        "`secret`. Scopes: `admin` (everything), `user` (job operations), `register` " +
        "(`register_runner`). Live logs: `GET /jobs/{id}/logs`; live events: `GET /events` " +
        "(Server-Sent Events).",
      license: { name: "Apache-2.0" },
    },
    servers: [{ name: "supervisor", url: options.serverUrl ?? "http://127.0.0.1:3030/rpc" }],
    methods: methods.map(methodObject),
    components: {
      schemas: Object.fromEntries(
        Object.entries(components).map(([name, schema]) => [name, withRefs(schema, true)]),
      ),
    },
  };
}
