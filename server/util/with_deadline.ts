/**
 * One call bounded in time: `fn` gets a signal that aborts at the deadline,
 * and the call rejects then (with `message`, or "no answer within N s"),
 * whether or not `fn` heeds the signal. The timer never outlives the call.
 *
 * @module
 */

import type { Timer } from "./timer.ts";

/** Runs `fn`, rejecting after `ms` (its signal aborted at the same time). */
export async function withDeadline<T>(
  ms: number,
  fn: (signal: AbortSignal) => Promise<T>,
  message = `no answer within ${ms / 1000} s`,
): Promise<T> {
  const controller = new AbortController();
  let timer: Timer | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new Error(message);
      controller.abort(error);
      reject(error);
    }, ms);
  });
  try {
    return await Promise.race([fn(controller.signal), deadline]);
  } finally {
    clearTimeout(timer);
  }
}
