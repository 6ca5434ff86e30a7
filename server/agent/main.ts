/**
 * `deno task runner --redis URL --name NAME [options]`: a remote runner agent.
 *
 * Options: `--namespace NS` (default hero), `--instances N` (default 2),
 * `--timeout S`, `--memory-mb M`, `--lease S`, and the permissions of its
 * jobs: `--allow-read[=PATHS]`, `--allow-write[=PATHS]`, `--allow-net[=HOSTS]`,
 * `--allow-env[=NAMES]`, `--allow-run[=PROGRAMS]`, `--allow-sys[=APIS]`
 * (comma-separated lists; without `=`, everything); `--sandbox` and
 * `--no-sandbox-cgroups` as the config's `sandbox` and `sandbox_cgroups`. SIGINT or SIGTERM stops
 * it: running jobs go back to the queue.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { RunnerConfig as RunnerConfigSchema } from "../../shared/schemas.ts";
import type { Permissions, RunnerConfig } from "../../shared/types.generated.ts";
import { runnerProblem } from "../config/runner_rules.ts";
import { compileValidator } from "../validation/validator.ts";
import { RunnerAgent } from "./agent.ts";
import { getLog, setUpLogging } from "../logging/mod.ts";

const log = getLog("agent");

const USAGE = `Usage: deno task runner --redis URL --name NAME [--namespace NS] [--instances N]
       [--timeout S] [--memory-mb M] [--lease S] [--isolation job|runner]
       [--sandbox auto|require|off] [--no-sandbox-cgroups]
       [--allow-read[=PATHS]] [--allow-write[=PATHS]]
       [--allow-net[=HOSTS]] [--allow-env[=NAMES]] [--allow-run[=PROGRAMS]] [--allow-sys[=APIS]]`;

const PERMISSIONS = ["read", "write", "net", "env", "run", "sys"] as const;

function fail(message: string): never {
  console.error(`runner agent: ${message}\n\n${USAGE}`);
  Deno.exit(2);
}

/** `--allow-x` alone grants all; `--allow-x=a,b` grants a list. */
function permissionsFrom(
  args: string[],
): { rest: string[]; permissions: Permissions } {
  const permissions: Permissions = {};
  const rest: string[] = [];
  for (const arg of args) {
    const match = arg.match(/^--allow-(read|write|net|env|run|sys)(?:=(.*))?$/);
    if (!match) {
      rest.push(arg);
      continue;
    }
    const name = match[1] as typeof PERMISSIONS[number];
    permissions[name] = match[2] === undefined ? true : match[2].split(",").filter(Boolean);
  }
  return { rest, permissions };
}

if (import.meta.main) {
  const { rest, permissions } = permissionsFrom(Deno.args);
  let values;
  try {
    values = parseArgs({
      args: rest,
      strict: true,
      options: {
        redis: { type: "string" },
        name: { type: "string" },
        namespace: { type: "string", default: "hero" },
        instances: { type: "string", default: "2" },
        timeout: { type: "string" },
        "memory-mb": { type: "string" },
        lease: { type: "string" },
        isolation: { type: "string" },
        sandbox: { type: "string", default: "auto" },
        "no-sandbox-cgroups": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }).values;
  } catch (error) {
    fail((error as Error).message);
  }
  if (values.help) {
    console.log(USAGE);
    Deno.exit(0);
  }
  if (!values.redis) fail("--redis is required");
  if (!values.name) fail("--name is required");
  const sandbox = values.sandbox as "auto" | "require" | "off";
  if (!["auto", "require", "off"].includes(sandbox)) {
    fail(
      `--sandbox: expected auto, require or off, got ${JSON.stringify(sandbox)}`,
    );
  }
  const num = (text: string | undefined) => text === undefined ? undefined : Number(text);
  const runner: RunnerConfig = {
    name: values.name,
    kind: "script",
    instances: num(values.instances),
    permissions,
  };
  if (values.timeout !== undefined) runner.timeout = num(values.timeout);
  if (values.isolation !== undefined) {
    runner.isolation = values.isolation as RunnerConfig["isolation"];
  }
  if (values["memory-mb"] !== undefined) {
    runner.memory_mb = num(values["memory-mb"]);
  }
  const problem = compileValidator(RunnerConfigSchema, "runner").check(runner, "runner") ??
    runnerProblem(runner, "runner");
  if (problem) fail(problem);
  await setUpLogging({
    format: Deno.env.get("HERO_LOG_FORMAT") === "json" ? "json" : "text",
    level: "info",
  });
  const agent = await RunnerAgent.start({
    redisUrl: values.redis,
    namespace: values.namespace!,
    runner,
    leaseMs: values.lease ? Number(values.lease) * 1000 : undefined,
    sandbox,
    sandboxCgroups: !values["no-sandbox-cgroups"],
    log: (m) => log.info(m),
  }).catch((error) => fail((error as Error).message));
  let stopping = false;
  const stop = async () => {
    if (stopping) Deno.exit(1);
    stopping = true;
    log.info("stopping: running jobs go back to the queue");
    await agent.stop(0);
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
}
