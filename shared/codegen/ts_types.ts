/**
 * Turns the shared JSON Schemas into TypeScript type text.
 *
 * Only the subset of {@linkcode JsonSchema} is understood; a schema outside
 * it is a programming error and throws, so the generator cannot silently
 * widen a type to `unknown`.
 *
 * @module
 */

import type { JsonSchema } from "../json_schema.ts";

/** Names the components so references print as their names. */
export type ComponentNames = ReadonlyMap<JsonSchema, string>;

const KNOWN = new Set([
  "title",
  "description",
  "type",
  "enum",
  "const",
  "properties",
  "required",
  "additionalProperties",
  "propertyNames",
  "items",
  "anyOf",
  "oneOf",
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "minLength",
  "maxLength",
  "pattern",
  "minItems",
  "maxItems",
  "uniqueItems",
  "maxProperties",
  "minProperties",
  "default",
  "examples",
  "x-expected",
]);

const isIdentifier = (key: string) => /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key);

/** A JSDoc block for a description, indented. */
export function jsDoc(description: string | undefined, indent: string): string {
  if (!description) return "";
  const text = description.replaceAll("*/", "*\\/");
  const lines = text.split("\n");
  if (lines.length === 1) return `${indent}/** ${text} */\n`;
  return `${indent}/**\n${
    lines.map((l) => `${indent} * ${l}`.trimEnd()).join("\n")
  }\n${indent} */\n`;
}

/** The type of an object schema's members, as `{ ... }` text. */
export function objectType(schema: JsonSchema, names: ComponentNames, indent: string): string {
  const inner = indent + "  ";
  const required = new Set(schema.required ?? []);
  const members = Object.entries(schema.properties ?? {}).map(([key, prop]) => {
    const name = isIdentifier(key) ? key : JSON.stringify(key);
    const optional = required.has(key) ? "" : "?";
    return `${jsDoc(prop.description, inner)}${inner}${name}${optional}: ${
      typeText(prop, names, inner)
    };\n`;
  });
  if (typeof schema.additionalProperties === "object") {
    members.push(
      `${inner}[key: string]: ${typeText(schema.additionalProperties, names, inner)};\n`,
    );
  } else if (schema.additionalProperties !== false && members.length === 0) {
    members.push(`${inner}[key: string]: unknown;\n`);
  }
  if (members.length === 0) return "Record<string, never>";
  return `{\n${members.join("")}${indent}}`;
}

const wrap = (text: string) => (text.includes("|") ? `(${text})` : text);

/** The TypeScript type of a schema, referring to components by name. */
export function typeText(schema: JsonSchema, names: ComponentNames, indent = ""): string {
  const name = names.get(schema);
  if (name) return name;
  for (const key of Object.keys(schema)) {
    if (!KNOWN.has(key)) throw new Error(`codegen: unsupported schema keyword "${key}"`);
  }
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(" | ");
  const union = schema.anyOf ?? schema.oneOf;
  if (union) return union.map((s) => typeText(s, names, indent)).join(" | ");
  switch (schema.type) {
    case "string":
      return "string";
    case "number":
    case "integer":
      return "number";
    case "boolean":
      return "boolean";
    case "null":
      return "null";
    case "array":
      return schema.items ? `${wrap(typeText(schema.items, names, indent))}[]` : "unknown[]";
    case "object":
      return objectType(schema, names, indent);
    case undefined:
      return "unknown";
  }
}
