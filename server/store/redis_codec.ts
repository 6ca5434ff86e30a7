/**
 * How a job record maps to the fields of its Redis hash, and back.
 *
 * Numbers are decimal strings, structured fields are JSON, strings are kept
 * as they are; an absent field is an absent key. `docs/protocol.md` lists the
 * fields for runners written in other languages.
 *
 * @module
 */

import type { JobPatch, JobRecord } from "./store.ts";

const NUMBER_FIELDS = new Set([
  "seq",
  "created_at",
  "updated_at",
  "started_at",
  "finished_at",
  "attempts",
  "timeout",
  "retries",
  "run_after",
  "lease_until",
  "deadline_at",
]);
const JSON_FIELDS = new Set(["env_vars", "depends_on", "waiting_on", "result"]);

/** The hash field text of one value. */
export function encodeField(key: string, value: unknown): string {
  if (JSON_FIELDS.has(key)) return JSON.stringify(value);
  return String(value);
}

/** A job (or a patch of one) as alternating field names and values, for HSET. */
export function encodeFields(job: JobPatch | Omit<JobRecord, "seq">): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(job)) {
    if (value === undefined) continue;
    out.push(key, encodeField(key, value));
  }
  return out;
}

/** A job from a hash, given as alternating field names and values (as HGETALL in Lua returns). */
export function decodeJob(flat: readonly string[]): JobRecord {
  const job: Record<string, unknown> = {};
  for (let i = 0; i < flat.length; i += 2) {
    const key = flat[i];
    const text = flat[i + 1];
    job[key] = NUMBER_FIELDS.has(key)
      ? Number(text)
      : JSON_FIELDS.has(key)
      ? JSON.parse(text)
      : text;
  }
  return job as unknown as JobRecord;
}
