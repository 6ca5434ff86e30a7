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
import type { LogHub } from "../logs/log_hub.ts";
import { isFinal } from "../store/store.ts";
import type { SseWriter } from "./sse.ts";

const KEEPALIVE_MS = 15_000;
const PAGE = 5000;

/** Streams one job's lines to one reader, from `after` on. */
export async function streamJobLogs(
  sse: SseWriter,
  jobId: string,
  after: number,
  jobs: JobService,
  hub: LogHub,
): Promise<void> {
  let cursor = after;
  while (!sse.signal.aborted) {
    const { lines, skipped } = await hub.read(jobId, cursor, PAGE);
    if (skipped > 0) {
      await sse.event({ count: skipped, after: cursor }, { event: "skipped" });
    }
    if (lines.length) {
      await sse.events(lines.map((line) => ({ data: line, id: line.seq })));
      cursor = lines.at(-1)!.seq;
      continue;
    }
    if (skipped > 0) cursor += skipped;
    const status = await jobs.statusOf(jobId);
    if (status === null || isFinal(status)) {
      // Final: one more read catches lines written just before the end.
      const tail = await hub.read(jobId, cursor, PAGE);
      if (tail.lines.length) continue;
      await sse.event({ status: status ?? "deleted", last: cursor }, { event: "end" });
      return;
    }
    const before = Date.now();
    await hub.waitForNews(jobId, cursor, KEEPALIVE_MS, sse.signal);
    if (Date.now() - before >= KEEPALIVE_MS) await sse.comment("keepalive");
  }
}
