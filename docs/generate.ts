/**
 * The reference sections of the docs, rendered from their single sources:
 * the config schema and defaults, the environment overrides, the Redis key
 * table, the Lua scripts, and the job state fields. `deno task gen` writes
 * them between `<!-- gen:NAME -->` and `<!-- /gen:NAME -->` markers;
 * `tests/shared/codegen_test.ts` fails when a doc is stale.
 *
 * @module
 */

import type { JsonSchema } from "../shared/json_schema.ts";
import { RunnerConfig } from "../shared/schemas.ts";
import { ConfigSchema, DEFAULT_RUNNER, DEFAULTS } from "../server/config/config_schema.ts";
import { ENV_OVERRIDES } from "../server/config/load_config.ts";
import { describeSchema } from "../server/validation/validator.ts";
import { KEY_TEMPLATES } from "../server/store/redis_keys.ts";
import { ALL_SCRIPTS } from "../server/store/redis_scripts.ts";
import { STATE_FIELDS } from "../server/store/store.ts";

const cell = (text: string) => text.replaceAll("|", "\\|").replaceAll("\n", " ");

function keysTable(schema: JsonSchema, defaults: Record<string, unknown>): string {
  const rows = Object.entries(schema.properties ?? {}).map(([key, prop]) => {
    const value = defaults[key];
    const shown = value === undefined ? "" : `\`${JSON.stringify(value)}\``;
    return `| \`${key}\` | ${cell(describeSchema(prop))} | ${shown} | ${
      cell(prop.description ?? "")
    } |`;
  });
  return ["| key | value | default | meaning |", "| --- | --- | --- | --- |", ...rows].join("\n");
}

/** Every generated section: the file it goes in, its name, its text. */
export function docSections(): { file: string; name: string; text: string }[] {
  const configDefaults = { ...DEFAULTS, redis_url: undefined, runners: undefined };
  return [
    {
      file: "docs/operations.md",
      name: "config",
      text: keysTable(ConfigSchema, configDefaults),
    },
    {
      file: "docs/operations.md",
      name: "runner-keys",
      text: keysTable(RunnerConfig, {
        kind: DEFAULT_RUNNER.kind,
        instances: 1,
        timeout: 60,
        memory_mb: 256,
        pids_max: 256,
        restart: "permanent",
        ping_interval: 600,
        ping_failures: 3,
        ping_timeout: 10,
        restart_delay: 1,
        restart_delay_max: 60,
        max_restarts: 5,
        restart_window: 60,
        stable_after: 30,
        stop_grace: 5,
      }),
    },
    {
      file: "docs/operations.md",
      name: "env",
      text: [
        "| variable | key | form |",
        "| --- | --- | --- |",
        ...Object.entries(ENV_OVERRIDES).map(([name, { key, kind }]) =>
          `| \`${name}\` | \`${key}\` | ${
            kind === "list" ? "comma-separated" : kind === "int" ? "integer" : "text"
          } |`
        ),
      ].join("\n"),
    },
    {
      file: "docs/protocol.md",
      name: "redis-keys",
      text: [
        "| key (after `NAMESPACE:`) | holds |",
        "| --- | --- |",
        ...Object.values(KEY_TEMPLATES).map(({ template, holds }) =>
          `| \`${template.replace("{}", "{…}")}\` | ${cell(holds)} |`
        ),
      ].join("\n"),
    },
    {
      file: "docs/protocol.md",
      name: "lua-scripts",
      text: ALL_SCRIPTS.map((s) => `- **\`${s.name}\`**: ${s.usage}`).join("\n"),
    },
    {
      file: "docs/protocol.md",
      name: "lua-sources",
      text: ALL_SCRIPTS.map((s) =>
        `### \`${s.name}\`\n\nSHA1 \`${s.sha}\`\n\n\`\`\`lua\n${s.source.trimEnd()}\n\`\`\``
      ).join("\n\n"),
    },
    {
      file: "docs/protocol.md",
      name: "state-fields",
      text: STATE_FIELDS.map((f) => `\`${f}\``).join(", "),
    },
  ];
}

/** A doc's text with its generated sections replaced. */
export function renderDoc(text: string, file: string): string {
  for (const section of docSections().filter((s) => s.file === file)) {
    const open = `<!-- gen:${section.name} -->`;
    const close = `<!-- /gen:${section.name} -->`;
    const start = text.indexOf(open);
    const end = text.indexOf(close);
    if (start < 0 || end < start) throw new Error(`${file}: no ${open} … ${close} markers`);
    text = `${text.slice(0, start + open.length)}\n\n${section.text}\n\n${text.slice(end)}`;
  }
  return text;
}

/** The files with generated sections. */
export const DOC_FILES = [...new Set(docSections().map((s) => s.file))];

if (import.meta.main) {
  const root = new URL("../", import.meta.url);
  for (const file of DOC_FILES) {
    const url = new URL(file, root);
    await Deno.writeTextFile(url, renderDoc(await Deno.readTextFile(url), file));
  }
  const fmt = await new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--quiet", ...DOC_FILES.map((f) => new URL(f, root).pathname)],
  }).output();
  if (!fmt.success) throw new Error(new TextDecoder().decode(fmt.stderr));
  console.log(`generated sections in ${DOC_FILES.join(", ")}`);
}
