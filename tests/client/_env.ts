/**
 * The live supervisor the client suite runs against, in every runtime.
 *
 * @module
 */

import { SECRETS, startSupervisor, type TestSupervisor } from "../_helpers/supervisor.ts";

/** What the suite needs to know about the supervisor (see `client_suite.mjs`). */
export interface SuiteEnv {
  url: string;
  admin: string;
  user: string;
  runner: string;
}

/** A supervisor with a script runner, and the suite's view of it. */
export async function startSuiteSupervisor(): Promise<{ sup: TestSupervisor; env: SuiteEnv }> {
  const sup = await startSupervisor({
    runners: [{ name: "scripts", kind: "script", instances: 3 }],
  });
  return {
    sup,
    env: { url: sup.url, admin: SECRETS.admin, user: SECRETS.user, runner: "scripts" },
  };
}

/** One case's outcome, as `runSuite` reports it. */
export interface CaseResult {
  name: string;
  ok: boolean;
  error?: string;
  ms: number;
}
