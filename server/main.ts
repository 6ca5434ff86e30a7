/**
 * `deno task serve`: loads the configuration, starts the supervisor, and
 * stops it gracefully on SIGINT or SIGTERM (a second signal forces it).
 *
 * @module
 */

import { ConfigError, loadConfig, USAGE } from "./config/load_config.ts";
import { GENERATED_SECRET_FILE } from "./auth/secret_registry.ts";
import { Supervisor } from "./supervisor.ts";

const log = (message: string) => console.error(`[supervisor] ${message}`);

let config;
try {
  config = await loadConfig(Deno.args, Deno.env.toObject(), (m) => log(`warning: ${m}`));
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`config error: ${error.message}`);
  Deno.exit(2);
}
if (config === null) {
  console.log(USAGE);
  Deno.exit(0);
}

let supervisor: Supervisor;
try {
  supervisor = await Supervisor.start(config, { log });
} catch (error) {
  console.error(`cannot start: ${(error as Error).message}`);
  Deno.exit(1);
}

log(
  `listening on ${supervisor.url} (store: ${supervisor.store.kind}, ${supervisor.store.location})`,
);
if (supervisor.generatedSecret) {
  // Shown this once; only its hash is kept, and the value is in a 0600 file for local tools.
  log(
    `no secret was configured: generated an admin secret (also in ${config.data_dir}/${GENERATED_SECRET_FILE}):`,
  );
  console.log(supervisor.generatedSecret);
}

let signals = 0;
const onSignal = async (signal: Deno.Signal) => {
  if (++signals > 1) {
    log(`${signal} again: killing every runner process now`);
    supervisor.killAll();
    Deno.exit(1);
  }
  log(`${signal}: shutting down (send it again to force)`);
  await supervisor.shutdown();
  log("stopped");
  Deno.exit(0);
};
Deno.addSignalListener("SIGINT", () => onSignal("SIGINT"));
Deno.addSignalListener("SIGTERM", () => onSignal("SIGTERM"));
