/** The store conformance suite on the embedded store (SQLite). */

import { SqliteStore } from "../../server/store/sqlite_store.ts";
import { storeConformance } from "./store_conformance.ts";

storeConformance("embedded", async () => {
  const dir = await Deno.makeTempDir({ prefix: "hero-sqlite-" });
  const store = new SqliteStore(`${dir}/store.db`);
  return {
    store,
    dispose: async () => {
      await store.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
});
