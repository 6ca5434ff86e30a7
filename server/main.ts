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
import { getLog, setUpLogging } from "./logging/mod.ts";

const log = getLog("supervisor");
// Said once the log is set up (it depends on the config).
const configWarnings: string[] = [];

let config;
try {
  config = await loadConfig(
    Deno.args,
    Deno.env.toObject(),
    (m) => configWarnings.push(m),
  );
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`config error: ${error.message}`);
  Deno.exit(2);
}
if (config === null) {
  console.log(USAGE);
  Deno.exit(0);
}
await setUpLogging({ format: config.log_format, level: config.log_level });
for (const warning of configWarnings) log.warn(warning);

let supervisor: Supervisor;
try {
  supervisor = await Supervisor.start(config, { log });
} catch (error) {
  // A refusal that says what and where (a port in use, a data_dir in use, a missing sandbox).
  const known = error instanceof BindError ||
    error instanceof DataDirInUseError ||
    error instanceof StoreUnavailableError;
  const message = `cannot start: ${known ? "" : "unexpected error: "}${(error as Error).message}`;
  log.error(message);
  // Also as a plain line: what a person at a terminal, or a script, reads first.
  if (config.log_format === "json") console.error(message);
  Deno.exit(1);
}

log.info(
  `listening on ${supervisor.url} (store: ${supervisor.store.kind}, ${supervisor.store.location})`,
  { url: supervisor.url, store: supervisor.store.kind },
);
if (supervisor.generatedSecret) {
  // Shown this once; only its hash is kept, and the value is in a 0600 file for local tools.
  log.warn(
    `no secret was configured: generated an admin secret (also in ${config.data_dir}/${GENERATED_SECRET_FILE}), printed once on stdout`,
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
    log.warn(`${signal} again: killing every runner process now`);
    supervisor.killAll();
    Deno.exit(1);
  }
  firstSignalAt = Date.now();
  log.info(`${signal}: shutting down (send it again to force)`);
  await supervisor.shutdown();
  log.info("stopped");
  Deno.exit(0);
};
// Stopped by the `shutdown` method: exit like after a signal.
supervisor.stopped.then(() => {
  if (firstSignalAt !== null) return; // the signal handler exits
  log.info("stopped");
  Deno.exit(0);
});
Deno.addSignalListener("SIGINT", () => onSignal("SIGINT"));
Deno.addSignalListener("SIGTERM", () => onSignal("SIGTERM"));
