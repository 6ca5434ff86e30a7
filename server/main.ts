/**
 * `deno task serve`: loads the configuration, starts the supervisor, and
 * stops it gracefully on SIGINT or SIGTERM (a second signal forces it).
 *
 * @module
 */

import { ConfigError, loadConfig, USAGE } from "./config/load_config.ts";
import { GENERATED_SECRET_FILE } from "./auth/secret_registry.ts";
import { BindError } from "./http/front/mod.ts";
import { DataDirInUseError } from "./store/data_dir.ts";
import { StoreUnavailableError } from "./store/store.ts";
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
  // A refusal that says what and where (a port in use, a data_dir in use, a missing sandbox).
  const known = error instanceof BindError || error instanceof DataDirInUseError ||
    error instanceof StoreUnavailableError;
  console.error(`cannot start: ${known ? "" : "unexpected error: "}${(error as Error).message}`);
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

/**
 * A signal within this long of the first is the same one, arrived twice: a
 * terminal's Ctrl-C (or systemd's SIGTERM) reaches the whole process group,
 * and `deno task` forwards its own copy too. Only a signal after it forces.
 */
const SAME_SIGNAL_MS = 1000;
let firstSignalAt: number | null = null;
const onSignal = async (signal: Deno.Signal) => {
  if (firstSignalAt !== null) {
    if (Date.now() - firstSignalAt < SAME_SIGNAL_MS) return;
    log(`${signal} again: killing every runner process now`);
    supervisor.killAll();
    Deno.exit(1);
  }
  firstSignalAt = Date.now();
  log(`${signal}: shutting down (send it again to force)`);
  await supervisor.shutdown();
  log("stopped");
  Deno.exit(0);
};
Deno.addSignalListener("SIGINT", () => onSignal("SIGINT"));
Deno.addSignalListener("SIGTERM", () => onSignal("SIGTERM"));
