/**
 * The client suite in Deno, on the client's source.
 *
 * @module
 */

import * as client from "../../client/mod.ts";
import { cases, runSuite } from "./client_suite.mjs";
import { startSuiteSupervisor } from "./_env.ts";

Deno.test("client suite in Deno (source)", async (t) => {
  const { sup, env } = await startSuiteSupervisor();
  try {
    for (const c of cases) {
      await t.step(c.name, async () => {
        const [result] = await runSuite(client, env, undefined, c.name);
        if (!result.ok) throw new Error(result.error);
      });
    }
  } finally {
    await sup.close();
  }
});
