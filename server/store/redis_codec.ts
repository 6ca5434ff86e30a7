/**
 * How a job is kept in Redis: its spec, written once, as one JSON string
 * (`job:{id}:spec`), and its state, which changes, as a small hash
 * (`job:{id}`). Scripts touch only the state; one spec read serves a runner.
 *
 * State fields: numbers are decimal strings, structured values JSON, strings
 * as they are; an absent field is an absent key. The state hash also holds
 * copies of `runner` and `timeout` (and the `seq`), which the scripts need.
 * `docs/protocol.md` lists the fields for runners in other languages.
 *
 * @module
 */

import { type JobPatch, type JobRecord, STATE_FIELDS } from "./store.ts";

const NUMBER_FIELDS = new Set([
  "seq",
  "timeout",
  "updated_at",
  "started_at",
  "finished_at",
  "attempts",
  "run_after",
  "lease_until",
  "deadline_at",
]);
const JSON_FIELDS = new Set(["waiting_on", "result"]);
const STATE = new Set<string>(STATE_FIELDS);

/** A job's spec: what does not change after it is stored. */
export function encodeSpec(job: Omit<JobRecord, "seq">): string {
  const spec: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(job)) {
    if (!STATE.has(key) && value !== undefined) spec[key] = value;
  }
  return JSON.stringify(spec);
}

/** State fields (of a new job, or of a patch) as alternating names and values, for HSET. */
export function encodeState(state: JobPatch | Omit<JobRecord, "seq">): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(state)) {
    if (value === undefined || !STATE.has(key) || key === "status") continue;
    out.push(key, JSON_FIELDS.has(key) ? JSON.stringify(value) : String(value));
  }
  return out;
}

/** A job from its spec and its state hash (as alternating names and values). */
export function decodeJob(spec: string, state: readonly string[]): JobRecord {
  const job: Record<string, unknown> = JSON.parse(spec);
  for (let i = 0; i < state.length; i += 2) {
    const key = state[i];
    const text = state[i + 1];
    job[key] = NUMBER_FIELDS.has(key)
      ? Number(text)
      : JSON_FIELDS.has(key)
      ? JSON.parse(text)
      : text;
  }
  return job as unknown as JobRecord;
}
