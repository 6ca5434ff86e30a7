/** The job API suite on Redis (a redis-server of its own per test). */

import { TestRedis } from "../_helpers/redis_server.ts";
import { startSupervisor } from "../_helpers/supervisor.ts";
import { jobApiSuite } from "./job_api_suite.ts";

jobApiSuite("redis", async (overrides) => {
  const redis = await TestRedis.start();
  const s = await startSupervisor({ ...overrides, redis_url: redis.url });
  return { ...s, extra: () => redis.stop() };
});
