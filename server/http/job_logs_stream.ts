/**
 * `GET /jobs/{id}/logs`: a job's log as Server-Sent Events: the lines so far,
 * then live lines, then `event: end` once the job is final.
 *
 * Each line is a `message` event whose `id` is the line's `seq` and whose data
 * is the line (`{ seq, ts, stream, line }`); a reconnecting reader sends
 * `Last-Event-ID` (or `?after=SEQ`) and resumes after it. A reader that fell
 * behind further than the kept lines gets `event: skipped` with how many it
 * missed.
 *
 * @module
 */

import type { JobService } from "../jobs/job_service.ts";
import type { LogHub, LogRead } from "../logs/log_hub.ts";
import { LiveQueue } from "../logs/live_queue.ts";
import { isFinal } from "../store/store.ts";
import type { SseWriter } from "./sse.ts";
import type { LogLine } from "../../shared/types.generated.ts";

const KEEPALIVE_MS = 15_000;
const PAGE = 5000;

/** The streams' names as JSON (they need no escaping); a Map, as `constructor` is a name too. */
const STREAM_JSON = new Map([
  ["stdout", '"stdout"'],
  ["stderr", '"stderr"'],
  ["system", '"system"'],
]);

const encoder = new TextEncoder();

/** Writes ASCII `text` into `out` at `at`; returns where it ends. */
function ascii(out: Uint8Array, at: number, text: string): number {
  for (let i = 0; i < text.length; i++) out[at + i] = text.charCodeAt(i);
  return at + text.length;
}

/**
 * Writes a number as `JSON.stringify` does: digits by hand for a whole one
 * that fits 31 bits (a `seq`), with integer arithmetic (`%` on a larger one
 * is a call to `fmod`: a timestamp's digits cost more than the rest of its
 * event, measured).
 */
function number(out: Uint8Array, at: number, n: number): number {
  if (n >= 0 && n <= 0x7fffffff && (n | 0) === n) {
    let end = at + 1;
    for (let x = n; x >= 10; x = (x / 10) | 0) end++;
    for (let i = end - 1, x = n; i >= at; i--) {
      const q = (x / 10) | 0;
      out[i] = 48 + x - q * 10;
      x = q;
    }
    return end;
  }
  return ascii(out, at, Number.isFinite(n) ? String(n) : "null");
}

/**
 * Lines as `message` events, in UTF-8: each event's id is the line's `seq`
 * and its data what `JSON.stringify` makes of the line, field by field.
 * Written as bytes straight away: a job printing fast sends millions of
 * lines, and building each event as a string, then encoding it through a
 * stream, allocated about 460 bytes more per line (measured: young-generation
 * collections over three rounds of 500 000 lines, 396 -> 192).
 */
export function lineEvents(lines: readonly LogLine[]): Uint8Array {
  let chars = 0;
  for (const line of lines) chars += line.line.length;
  let out = new Uint8Array(chars + lines.length * 128 + 64);
  let at = 0;
  // Lines printed together share their timestamp: its digits are made once.
  let lastTs: number | undefined;
  let tsText = "";
  /** Room for `bytes` more, the buffer doubled as needed. */
  const room = (bytes: number) => {
    if (at + bytes <= out.length) return;
    const grown = new Uint8Array(Math.max(out.length * 2, at + bytes));
    grown.set(out.subarray(0, at));
    out = grown;
  };
  for (const { seq, ts, stream, line, partial } of lines) {
    const known = STREAM_JSON.get(stream);
    const streamJson = known ?? JSON.stringify(stream);
    room(160 + streamJson.length * 3 + line.length);
    at = ascii(out, at, "id: ");
    at = number(out, at, seq);
    at = ascii(out, at, '\ndata: {"seq":');
    at = number(out, at, seq);
    at = ascii(out, at, ',"ts":');
    if (ts !== lastTs) {
      lastTs = ts;
      tsText = Number.isFinite(ts) ? String(ts) : "null";
    }
    at = ascii(out, at, tsText);
    at = ascii(out, at, ',"stream":');
    at = known
      ? ascii(out, at, known)
      : at + encoder.encodeInto(streamJson, out.subarray(at)).written;
    at = ascii(out, at, ',"line":"');
    // Printable ASCII other than `"` and `\` is its own JSON; anything else is escaped by
    // JSON.stringify (control characters, lone surrogates), then encoded.
    let plain = true;
    for (let i = 0; i < line.length; i++) {
      const c = line.charCodeAt(i);
      if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) {
        plain = false;
        break;
      }
      out[at + i] = c;
    }
    if (plain) at += line.length;
    else {
      const json = JSON.stringify(line);
      room(json.length * 3 + 32);
      at += encoder.encodeInto(json.slice(1), out.subarray(at)).written - 1;
    }
    at = ascii(out, at, partial ? '","partial":true}\n\n' : '"}\n\n');
  }
  return out.subarray(0, at);
}

/**
 * Streams one job's lines to one reader, from `after` on. Live lines come
 * through a queue of this reader's own, bounded in bytes; a reader slower
 * than the job fills it, and then catches up from the store (the ring buffer,
 * else the kept lines) until it is live again: it never holds up the job or
 * another reader.
 */
export async function streamJobLogs(
  sse: SseWriter,
  jobId: string,
  after: number,
  jobs: JobService,
  hub: LogHub,
): Promise<void> {
  let cursor = after;
  const queue = new LiveQueue();
  const stopListening = hub.listen(jobId, (lines) => queue.push(lines));
  /** Sends what a read found (a skip, then lines); true if it had lines. */
  const send = async ({ lines, skipped }: LogRead): Promise<boolean> => {
    if (skipped > 0) {
      await sse.event({ count: skipped, after: cursor }, { event: "skipped" });
      cursor += skipped;
    }
    if (lines.length === 0) return false;
    await sse.raw(lineEvents(lines));
    cursor = lines.at(-1)!.seq;
    return true;
  };
  try {
    while (!sse.signal.aborted) {
      // Live: the queue continues exactly where the reader is.
      const live = queue.takeAfter(cursor);
      if (live) {
        await send({ lines: live, skipped: 0 });
        continue;
      }
      if (await send(await hub.read(jobId, cursor, PAGE))) continue;
      const status = await jobs.statusOf(jobId);
      if (status === null || isFinal(status)) {
        // Final: one more read, from the store, catches lines written just before the end
        // (or whose notice never came).
        if (await send(await hub.read(jobId, cursor, PAGE, true))) continue;
        await sse.event({ status: status ?? "deleted", last: cursor }, {
          event: "end",
        });
        return;
      }
      const before = Date.now();
      await hub.waitForNews(jobId, cursor, KEEPALIVE_MS, sse.signal);
      if (Date.now() - before >= KEEPALIVE_MS) await sse.comment("keepalive");
    }
  } finally {
    stopListening();
  }
}
