/** The API types the supervision tests use. */

import type { MethodResults } from "../../shared/types.generated.ts";

export type { Event, Job, RunnerStatus } from "../../shared/types.generated.ts";
export type CurrentState = MethodResults["current_state"];
