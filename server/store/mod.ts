/**
 * Opens the store the configuration asks for.
 *
 * @module
 */

import type { SupervisorConfig } from "../config/config_schema.ts";
import { RedisStore } from "./redis_store.ts";
import { SqliteStore } from "./sqlite_store.ts";
import type { Store } from "./store.ts";

export * from "./store.ts";
export { RedisStore } from "./redis_store.ts";
export { SqliteStore } from "./sqlite_store.ts";

/** The embedded store's file in `data_dir`. */
export const EMBEDDED_FILE = "supervisor.db";

/**
 * Redis when `redis_url` is set, else the embedded store in `data_dir`.
 * `origin` names this process in cross-process notices.
 */
export async function openStore(
  config: Pick<SupervisorConfig, "redis_url" | "namespace" | "data_dir"> & {
    redis_timeout?: number;
    redis_wait_replicas?: number;
    redis_wait_timeout?: number;
  },
  origin: string,
): Promise<Store> {
  if (config.redis_url) {
    return await RedisStore.connect({
      url: config.redis_url,
      namespace: config.namespace,
      origin,
      commandTimeoutMs: config.redis_timeout === undefined
        ? undefined
        : config.redis_timeout * 1000,
      waitReplicas: config.redis_wait_replicas,
      waitTimeoutMs: config.redis_wait_timeout === undefined
        ? undefined
        : config.redis_wait_timeout * 1000,
    });
  }
  await Deno.mkdir(config.data_dir, { recursive: true });
  return new SqliteStore(`${config.data_dir}/${EMBEDDED_FILE}`);
}
