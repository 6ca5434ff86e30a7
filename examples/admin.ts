/**
 * Administration: the supervisor's info, and a user secret added, used,
 * listed (by fingerprint only) and removed. Needs an admin secret.
 *
 *     deno run --allow-net --allow-env --allow-read=.hero examples/admin.ts
 *
 * @module
 */

import { SupervisorClient, UnauthenticatedError } from "@hero-supervisor/client";
import { secret, url } from "./_config.ts";

const admin = new SupervisorClient(url, { secret });

const info = await admin.getSupervisorInfo();
console.log(
  `${info.name} ${info.version}: store ${info.store}, ${info.runners} runner(s), ` +
    `up ${info.uptime_s} s, jobs ${JSON.stringify(info.jobs)}`,
);

// A new user secret: only its hash is kept.
const value = crypto.randomUUID();
await admin.addSecret({ kind: "user", value });
console.log("added a user secret");

const user = new SupervisorClient(url, { secret: value });
const recent = await user.jobs.list({ limit: 3 });
console.log(`the new secret lists jobs: ${recent.length} shown`);

for (const s of await admin.listSecrets()) {
  console.log(`secret ${s.kind} ${s.fingerprint} (${s.source ?? "?"})`);
}

await admin.removeSecret({ kind: "user", value });
console.log("removed it");
try {
  await user.jobs.list({ limit: 1 });
  console.log("the removed secret still works!");
  Deno.exit(1);
} catch (error) {
  if (!(error instanceof UnauthenticatedError)) throw error;
  console.log("the removed secret is refused:", error.code);
}
