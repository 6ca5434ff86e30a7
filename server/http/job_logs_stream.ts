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

/** The streams' names as JSON (they need no escaping). */
const STREAM_JSON: Record<string, string> = {
  stdout: '"stdout"',
  stderr: '"stderr"',
  system: '"system"',
};

/**
 * Lines as `message` events, in one string: each event's data is what
 * `JSON.stringify` makes of the line, written out field by field (a job
 * printing fast sends millions; an object's stringify and a string per
 * event cost twice as much, measured).
 */
export function lineEvents(lines: readonly LogLine[]): string {
  let text = "";
  for (const { seq, ts, stream, line, partial } of lines) {
    text += "id: " + seq + '\ndata: {"seq":' + seq + ',"ts":' +
      (Number.isFinite(ts) ? ts : "null") + ',"stream":' +
      (STREAM_JSON[stream] ?? JSON.stringify(stream)) + ',"line":' + JSON.stringify(line) +
      (partial ? ',"partial":true}\n\n' : "}\n\n");
  }
  return text;
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
