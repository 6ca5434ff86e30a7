/**
 * Loading the configuration: the TOML file (`--config FILE`), then
 * environment overrides (`HERO_PORT`...), then command-line flags, each
 * validated with a message that names the key:
 * `port: expected an integer 1-65535, got "abc"`.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { parse as parseToml } from "smol-toml";
import type { RunnerConfig } from "../../shared/types.generated.ts";
import { compileValidator } from "../validation/validator.ts";
import { ConfigSchema, DEFAULT_RUNNER, DEFAULTS, type SupervisorConfig } from "./config_schema.ts";
import { runnerProblem, runnerSetProblem } from "./runner_rules.ts";

/** A configuration that cannot be used; the message says which key and why. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

const validateConfig = compileValidator(ConfigSchema, "config");

/** Environment variables that override keys, and how their text becomes a value. */
export const ENV_OVERRIDES: Record<
  string,
  { key: keyof SupervisorConfig; kind: "string" | "int" | "list" }
> = {
  HERO_REDIS_URL: { key: "redis_url", kind: "string" },
  HERO_NAMESPACE: { key: "namespace", kind: "string" },
  HERO_BIND_ADDRESS: { key: "bind_address", kind: "string" },
  HERO_PORT: { key: "port", kind: "int" },
  HERO_DATA_DIR: { key: "data_dir", kind: "string" },
  HERO_ADMIN_SECRETS: { key: "admin_secrets", kind: "list" },
  HERO_USER_SECRETS: { key: "user_secrets", kind: "list" },
  HERO_REGISTER_SECRETS: { key: "register_secrets", kind: "list" },
  HERO_SANDBOX: { key: "sandbox", kind: "string" },
  HERO_LOG_FORMAT: { key: "log_format", kind: "string" },
  HERO_LOG_LEVEL: { key: "log_level", kind: "string" },
};

const FLAGS: Record<
  string,
  { key: keyof SupervisorConfig; kind: "string" | "int" }
> = {
  port: { key: "port", kind: "int" },
  bind: { key: "bind_address", kind: "string" },
  "data-dir": { key: "data_dir", kind: "string" },
  "redis-url": { key: "redis_url", kind: "string" },
  namespace: { key: "namespace", kind: "string" },
};

/** Legacy keys of the seed's `[[actors]]` tables that have no meaning here. */
const LEGACY_ACTOR_KEYS = ["id", "db_path", "redis_url"];

function convert(text: string, kind: "string" | "int" | "list"): unknown {
  if (kind === "int") return /^-?\d+$/.test(text.trim()) ? Number(text) : text;
  if (kind === "list") {
    return text.split(",").map((s) => s.trim()).filter(Boolean);
  }
  return text;
}

function checkOne(
  key: keyof SupervisorConfig,
  value: unknown,
  name: string,
): void {
  const schema = ConfigSchema.properties![key];
  const problem = compileValidator(schema, name).check(value, name);
  if (problem) throw new ConfigError(problem);
}

/**
 * Maps `[[actors]]` to `[[runners]]`: an actor with a `binary_path` is a
 * service; the seed's keys that mean nothing here are dropped, with a warning.
 */
function actorsAsRunners(
  doc: Record<string, unknown>,
  warn: (m: string) => void,
): void {
  if (!("actors" in doc)) return;
  if ("runners" in doc) {
    throw new ConfigError(
      "actors: use either [[runners]] or [[actors]], not both",
    );
  }
  const actors = doc.actors;
  delete doc.actors;
  if (!Array.isArray(actors)) {
    doc.runners = actors; // the schema reports it
    return;
  }
  doc.runners = actors.map((actor, i) => {
    if (actor === null || typeof actor !== "object" || Array.isArray(actor)) {
      return actor;
    }
    const runner = { ...actor } as Record<string, unknown>;
    if (runner.name === undefined && typeof runner.id === "string") {
      runner.name = runner.id;
    }
    for (const key of LEGACY_ACTOR_KEYS) {
      if (key in runner) {
        warn(
          `actors[${i}].${key}: ignored (a key of the original Hero supervisor)`,
        );
        delete runner[key];
      }
    }
    // The seed's actors are programs that take their jobs themselves: services here (one
    // that speaks the runner protocol says kind = "process").
    if (runner.kind === undefined && runner.binary_path !== undefined) {
      runner.kind = "service";
    }
    return runner;
  });
}

/**
 * Builds the configuration from TOML text (may be empty), environment
 * variables and flag values. Throws {@linkcode ConfigError}.
 */
export function buildConfig(
  tomlText: string,
  source: string,
  env: Record<string, string | undefined> = {},
  flags: Partial<Record<keyof SupervisorConfig, unknown>> = {},
  warn: (message: string) => void = () => {},
): SupervisorConfig {
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(tomlText) as Record<string, unknown>;
  } catch (error) {
    const { message, line, column } = error as Error & {
      line?: number;
      column?: number;
    };
    const at = line !== undefined ? ` (line ${line}, column ${column})` : "";
    throw new ConfigError(
      `${source}: not valid TOML${at}: ${message.split("\n")[0]}`,
    );
  }
  actorsAsRunners(doc, warn);
  for (const [name, { key, kind }] of Object.entries(ENV_OVERRIDES)) {
    const text = env[name];
    if (text === undefined || text === "") continue;
    const value = convert(text, kind);
    checkOne(key, value, name);
    doc[key] = value;
  }
  Object.assign(doc, flags);
  const problem = validateConfig.check(doc);
  if (problem) throw new ConfigError(problem);
  const runners = (doc.runners as RunnerConfig[] | undefined) ??
    [DEFAULT_RUNNER];
  for (const [i, runner] of runners.entries()) {
    const semantic = runnerProblem(runner, `runners[${i}]`);
    if (semantic) throw new ConfigError(semantic);
  }
  const setProblem = runnerSetProblem(runners, "runners");
  if (setProblem) throw new ConfigError(setProblem);
  const policy = doc.register_policy as
    | Partial<SupervisorConfig["register_policy"]>
    | undefined;
  return {
    ...DEFAULTS,
    ...doc,
    register_policy: { ...DEFAULTS.register_policy, ...policy },
    // Each status's rule given replaces that default whole (a count alone: no age limit).
    keep: { ...DEFAULTS.keep, ...(doc.keep as SupervisorConfig["keep"] | undefined) },
    runners,
  } as SupervisorConfig;
}

/** The usage text of `deno task serve`. */
export const USAGE = `Usage: deno task serve [--config FILE] [--port N] [--bind ADDRESS]
                       [--data-dir DIR] [--redis-url URL] [--namespace NS]

Starts the supervisor. See docs/operations.md for the config keys and the
HERO_* environment overrides.`;

/** Reads the command line and the environment; returns the configuration, or null for --help. */
export async function loadConfig(
  args: string[],
  env: Record<string, string | undefined>,
  warn: (message: string) => void,
): Promise<SupervisorConfig | null> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        config: { type: "string" },
        help: { type: "boolean", short: "h" },
        ...Object.fromEntries(
          Object.keys(FLAGS).map((f) => [f, { type: "string" as const }]),
        ),
      },
    });
  } catch (error) {
    throw new ConfigError(`${(error as Error).message}\n\n${USAGE}`);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values.help) return null;
  const flags: Partial<Record<keyof SupervisorConfig, unknown>> = {};
  for (const [flag, { key, kind }] of Object.entries(FLAGS)) {
    const text = values[flag];
    if (typeof text !== "string") continue;
    const value = convert(text, kind);
    checkOne(key, value, `--${flag}`);
    flags[key] = value;
  }
  let text = "";
  const file = values.config as string | undefined;
  if (file !== undefined) {
    try {
      text = await Deno.readTextFile(file);
    } catch (error) {
      throw new ConfigError(
        `--config: cannot read ${file}: ${(error as Error).message}`,
      );
    }
  }
  return buildConfig(text, file ?? "(defaults)", env, flags, warn);
}
