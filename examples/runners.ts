/**
 * Runners: register a sandboxed script runner that may reach one host (the
 * supervisor itself) and nothing else, run a job on it, then remove it.
 * Needs an admin (or register) secret.
 *
 *     deno run --allow-net --allow-env --allow-read=.hero examples/runners.ts
 *
 * @module
 */

import { SupervisorClient } from "@hero-supervisor/client";
import { secret, url } from "./_config.ts";

const client = new SupervisorClient(url, { secret });
const host = new URL(url).host;
const name = "fetcher";

await client.registerRunner({
  runner: {
    name,
    kind: "script",
    instances: 1,
    timeout: 20,
    // Exactly this grant, as `--allow-net=HOST:PORT`; no other permission.
    permissions: { net: [host] },
  },
});
console.log(`registered runner ${name} (net: ${host})`);
try {
  const status = await client.getRunnerStatus({ name });
  console.log("runner state:", status.state);

  const result = await client.job.run({
    job: {
      runner: name,
      payload: `
        const allowed = await fetch(${JSON.stringify(`${url}/health`)}).then((r) => r.json());
        let other;
        try {
          await fetch("http://127.0.0.1:65000/");
          other = "reached";
        } catch (error) {
          other = error.message; // not in the grant: refused before any connection
        }
        let env;
        try {
          env = Deno.env.get("HOME");
        } catch (error) {
          env = error.message; // no --allow-env was given
        }
        export default { health: allowed.status, other_host: other, env };
      `,
    },
  });
  console.log("result:", JSON.stringify(result));
} finally {
  await client.removeRunner({ name });
  console.log(`removed runner ${name}`);
}
