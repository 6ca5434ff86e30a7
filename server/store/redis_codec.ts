/**
 * How a job is kept in Redis: one hash, `job:{id}`. Its field `spec` holds
 * what never changes (JSON, written once); the other fields are its state.
 * Scripts read and write single fields; a runner gets the spec with the
 * fields it needs in one read.
 *
 * State fields: numbers are decimal strings, structured values JSON, strings
 * as they are; an absent field is an absent key. The hash also holds copies
 * of `runner` and `timeout` (and the `seq`), which the scripts need.
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
  "priority",
]);
const JSON_FIELDS = new Set(["waiting_on", "result"]);
const STATE = new Set<string>(STATE_FIELDS);

/** A job's spec: what does not change after it is stored. */
export function encodeSpec(job: Omit<JobRecord, "seq">): string {
  const spec: Record<string, unknown> = {};
  for (const key in job) {
    const value = job[key as keyof typeof job];
    if (value !== undefined && !STATE.has(key)) spec[key] = value;
  }
  return JSON.stringify(spec);
}

/** State fields (of a new job, or of a patch) as alternating names and values, for HSET. */
export function encodeState(
  state: JobPatch | Omit<JobRecord, "seq">,
): string[] {
  const out: string[] = [];
  for (const key in state) {
    const value = state[key as keyof typeof state];
    if (value === undefined || key === "status" || !STATE.has(key)) continue;
    out.push(key, JSON_FIELDS.has(key) ? JSON.stringify(value) : String(value));
  }
  return out;
}

/**
 * Every field of a job's hash but `result`, for one `HMGET`: a job without
 * its result, which can be megabytes (see `JobRead`).
 */
export const FIELDS_BUT_RESULT: readonly string[] = [
  "seq",
  "runner",
  "spec",
  "timeout",
  "priority",
  "keep_completed",
  "keep_failed",
  ...STATE_FIELDS.filter((field) => field !== "result"),
];

/** A job from `HMGET` of `fields` (null: an absent field); null if it has no such hash. */
export function decodeFields(
  fields: readonly string[],
  values: readonly (string | null)[],
): JobRecord | null {
  const hash: string[] = [];
  values.forEach((value, i) => {
    if (value !== null) hash.push(fields[i], value);
  });
  return hash.length ? decodeJob(hash) : null;
}

/** A job from its hash (as alternating names and values, `spec` among them). */
export function decodeJob(hash: readonly string[]): JobRecord {
  const state: Record<string, unknown> = {};
  let job: Record<string, unknown> = {};
  for (let i = 0; i < hash.length; i += 2) {
    const key = hash[i];
    const text = hash[i + 1];
    if (key === "spec") {
      job = JSON.parse(text);
      continue;
    }
    state[key] = NUMBER_FIELDS.has(key)
      ? Number(text)
      : JSON_FIELDS.has(key)
      ? JSON.parse(text)
      : text;
  }
  return Object.assign(job, state) as unknown as JobRecord;
}
