/** The store conformance suite on Redis, each test with a redis-server of its own. */

import { RedisStore } from "../../server/store/redis_store.ts";
import { TestRedis } from "../_helpers/redis_server.ts";
import { storeConformance } from "./store_conformance.ts";

storeConformance("redis", async () => {
  const redis = await TestRedis.start();
  const store = await RedisStore.connect({ url: redis.url, namespace: "hero", origin: "test" });
  return {
    store,
    dispose: async () => {
      await store.close();
      await redis.stop();
    },
  };
});
