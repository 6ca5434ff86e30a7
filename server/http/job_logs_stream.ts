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
import type { LogBatch } from "../logs/log_batch.ts";
import { CHUNK_HEAD_ROOM, CHUNK_TAIL_ROOM, withFramingRoom } from "./http_reply.ts";

const KEEPALIVE_MS = 15_000;
const PAGE = 5000;

/** The streams' names as JSON (they need no escaping); a Map, as `constructor` is a name too. */
const STREAM_JSON = new Map([
  ["stdout", '"stdout"'],
  ["stderr", '"stderr"'],
  ["system", '"system"'],
]);

const encoder = new TextEncoder();

/** Text as UTF-8 bytes. */
function bytes(text: string): Uint8Array {
  return encoder.encode(text);
}

/** `out` with room for `need` bytes more after `at`: itself, or a copy at least twice as big. */
function withRoom(out: Uint8Array<ArrayBuffer>, at: number, need: number): Uint8Array<ArrayBuffer> {
  if (at + need <= out.length) return out;
  const grown = new Uint8Array(Math.max(out.length * 2, at + need));
  grown.set(out.subarray(0, at));
  return grown;
}

const ID = bytes("id: ");
const DATA = bytes('\ndata: {"seq":');
const END = bytes('"}\n\n');
const END_PARTIAL = bytes('","partial":true}\n\n');

/**
 * A `seq` as `JSON.stringify` writes it, in `digits` (returns how many
 * bytes): by hand for a whole number that fits 31 bits, with integer
 * arithmetic (`%` on a larger one is a call to `fmod`, measured).
 */
function seqDigits(digits: Uint8Array, n: number): number {
  if (n >= 0 && n <= 0x7fffffff && (n | 0) === n) {
    let length = 1;
    for (let x = n; x >= 10; x = (x / 10) | 0) length++;
    for (let i = length - 1, x = n; i >= 0; i--) {
      const q = (x / 10) | 0;
      digits[i] = 48 + x - q * 10;
      x = q;
    }
    return length;
  }
  return encoder.encodeInto(Number.isFinite(n) ? String(n) : "null", digits).written;
}

/**
 * Lines as `message` events, in UTF-8: each event's id is the line's `seq`
 * and its data what `JSON.stringify` makes of the line, field by field.
 * Written as bytes straight away: a job printing fast sends millions of
 * lines, and building each event as a string, then encoding it through a
 * stream, allocated about 460 bytes more per line (measured: young-generation
 * collections over three rounds of 500 000 lines, 396 -> 192). The event up
 * to its line is kept from one line to the next: made again only when the
 * timestamp or the stream changes, else only the `seq`'s digits change, in
 * place, and it is copied whole (2000 lines of 6 characters: 104-144 against
 * 126-171 ns a line, 6 processes each, when it was put together piece by
 * piece per line; lines that need escaping cost what they did, their
 * JSON.stringify most of it).
 */
export function lineEvents(batches: readonly LogBatch[]): Uint8Array {
  let chars = 0;
  let count = 0;
  for (const batch of batches) {
    chars += batch.chars;
    count += batch.length;
  }
  // Room for the HTTP chunk's framing around the events: written there, not copied (see
  // `withFramingRoom`).
  let out = new Uint8Array(CHUNK_HEAD_ROOM + chars + count * 128 + 64 + CHUNK_TAIL_ROOM);
  let at = CHUNK_HEAD_ROOM;
  // The event up to its line, `id: SEQ\ndata: {"seq":SEQ,"ts":…,"stream":…,"line":"`, kept
  // from one line to the next: the next seq's digits are changed in place (both copies).
  let head = new Uint8Array(128);
  let headLength = 0;
  let seqAt = 0; // where the second copy of the digits starts (the first is at ID.length)
  let digitCount = 0;
  // Numbers only (NaN: none yet, and never equal): a variable that may be undefined holds a
  // timestamp boxed, one allocated per line read from a Float64Array (measured: 17 bytes a line).
  let headTs = NaN;
  let headStream: string | undefined;
  let lastSeq = -2;
  // `,"ts":…,"stream":…,"line":"` of the lines of one stream and timestamp; each stream's
  // own, as a job printing to both interleaves them.
  const middles = new Map<string, { ts: number; bytes: Uint8Array }>();
  const digits = new Uint8Array(32);
  for (const batch of batches) {
    const { ts: times, streams, lines } = batch;
    for (let k = 0; k < lines.length; k++) {
      const seq = batch.first + k;
      const ts = times[k];
      const stream = streams[k];
      const line = lines[k];
      let fresh = ts !== headTs || stream !== headStream || seq !== lastSeq + 1 ||
        seq > 0x7fffffff || (seq | 0) !== seq;
      if (!fresh) {
        // The next whole number: the last one's digits, plus one.
        let i = digitCount - 1;
        while (i >= 0 && head[ID.length + i] === 57) {
          head[ID.length + i] = head[seqAt + i] = 48;
          i--;
        }
        if (i >= 0) {
          head[ID.length + i]++;
          head[seqAt + i]++;
        } else fresh = true; // one digit more
      }
      if (fresh) {
        let made = middles.get(stream);
        if (made?.ts !== ts) {
          made = {
            ts,
            bytes: bytes(
              `,"ts":${Number.isFinite(ts) ? String(ts) : "null"},"stream":${
                STREAM_JSON.get(stream) ?? JSON.stringify(stream)
              },"line":"`,
            ),
          };
          middles.set(stream, made);
        }
        digitCount = seqDigits(digits, seq);
        seqAt = ID.length + digitCount + DATA.length;
        headLength = seqAt + digitCount + made.bytes.length;
        if (head.length !== headLength) head = new Uint8Array(headLength);
        head.set(ID);
        head.set(digits.subarray(0, digitCount), ID.length);
        head.set(DATA, ID.length + digitCount);
        head.set(digits.subarray(0, digitCount), seqAt);
        head.set(made.bytes, seqAt + digitCount);
        headTs = ts;
        headStream = stream;
      }
      lastSeq = seq;
      out = withRoom(out, at, headLength + line.length + END_PARTIAL.length);
      out.set(head, at);
      at += headLength;
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
        out = withRoom(out, at, json.length * 3 + 32);
        at += encoder.encodeInto(json.slice(1), out.subarray(at)).written - 1;
      }
      const end = batch.isPartial(k) ? END_PARTIAL : END;
      for (let i = 0; i < end.length; i++) out[at + i] = end[i];
      at += end.length;
    }
  }
  out = withRoom(out, at, CHUNK_TAIL_ROOM);
  return withFramingRoom(out.subarray(CHUNK_HEAD_ROOM, at));
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
  const stopListening = hub.listen(jobId, (batch) => queue.push(batch));
  /** Sends what a read found (a skip, then lines); true if it had lines. */
  const send = async (
    batches: readonly LogBatch[],
    skipped = 0,
  ): Promise<boolean> => {
    if (skipped > 0) {
      await sse.event({ count: skipped, after: cursor }, { event: "skipped" });
      cursor += skipped;
    }
    const last = batches.at(-1);
    if (!last || last.length === 0) return false;
    await sse.raw(lineEvents(batches));
    cursor = last.last;
    return true;
  };
  const sendRead = ({ lines, skipped }: LogRead) => send([lines], skipped);
  try {
    while (!sse.signal.aborted) {
      // Live: the queue continues exactly where the reader is.
      const live = queue.takeAfter(cursor);
      if (live) {
        await send(live);
        continue;
      }
      if (await sendRead(await hub.read(jobId, cursor, PAGE))) continue;
      const status = await jobs.statusOf(jobId);
      if (status === null || isFinal(status)) {
        // Final: one more read, from the store, catches lines written just before the end
        // (or whose notice never came).
        if (await sendRead(await hub.read(jobId, cursor, PAGE, true))) continue;
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
