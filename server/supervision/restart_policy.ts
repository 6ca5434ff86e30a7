/**
 * When to restart a runner process that exited, and when to give up.
 *
 * The policy is Erlang/OTP's (`permanent` always restarted, `transient`
 * only after an abnormal exit, `temporary` never) with systemd's and
 * Kubernetes' restart delay (exponential, capped, with jitter, reset after a
 * stable uptime as pm2 does) and OTP's restart intensity: more than
 * `max_restarts` restarts within `restart_window` quarantine the runner.
 *
 * Pure logic, driven by the caller's clock.
 *
 * @module
 */

import type { RunnerConfig } from "../../shared/types.generated.ts";

/** The restart settings of one runner, in milliseconds. */
export interface RestartSettings {
  policy: "permanent" | "transient" | "temporary";
  delayMs: number;
  delayMaxMs: number;
  factor: number;
  maxRestarts: number;
  windowMs: number;
  stableAfterMs: number;
}

/** A runner's restart settings, with the defaults for what it does not set. */
export function restartSettings(config: RunnerConfig): RestartSettings {
  return {
    policy: config.restart ?? "permanent",
    delayMs: (config.restart_delay ?? 1) * 1000,
    delayMaxMs: (config.restart_delay_max ?? 60) * 1000,
    factor: 2,
    maxRestarts: config.max_restarts ?? 5,
    windowMs: (config.restart_window ?? 60) * 1000,
    stableAfterMs: (config.stable_after ?? 30) * 1000,
  };
}

/** What to do about an exit. */
export type RestartDecision =
  | { action: "restart"; delayMs: number }
  | { action: "stay-down"; reason: string }
  | { action: "quarantine"; reason: string };

/** Counts a runner's restarts and decides about each exit. */
export class RestartTracker {
  readonly #settings: RestartSettings;
  readonly #random: () => number;
  /** When each recent restart was decided. */
  #recent: number[] = [];
  /** Restarts in a row without a stable uptime between them. */
  #streak = 0;

  constructor(settings: RestartSettings, random: () => number = Math.random) {
    this.#settings = settings;
    this.#random = random;
  }

  /** Restarts decided within the window ending at `now`. */
  recentRestarts(now: number): number {
    return this.#recent.filter((t) => t > now - this.#settings.windowMs).length;
  }

  /**
   * Decides about an exit at `now` of a process that had been up `uptimeMs`.
   * `abnormal`: a non-zero code, a signal, or a failure to become ready.
   */
  decide(abnormal: boolean, uptimeMs: number, now: number): RestartDecision {
    const s = this.#settings;
    if (s.policy === "temporary") {
      return { action: "stay-down", reason: "restart = temporary" };
    }
    if (s.policy === "transient" && !abnormal) {
      return {
        action: "stay-down",
        reason: "restart = transient and it exited normally",
      };
    }
    this.#recent = this.#recent.filter((t) => t > now - s.windowMs);
    if (this.#recent.length >= s.maxRestarts) {
      return {
        action: "quarantine",
        reason: `more than ${s.maxRestarts} restarts in ${s.windowMs / 1000} s`,
      };
    }
    if (uptimeMs >= s.stableAfterMs) this.#streak = 0;
    const exponential = Math.min(
      s.delayMs * s.factor ** this.#streak,
      s.delayMaxMs,
    );
    // Jitter spreads restarts of many runners; it never exceeds the cap.
    const delayMs = Math.round(
      Math.min(exponential * (1 + 0.1 * this.#random()), s.delayMaxMs),
    );
    this.#streak++;
    this.#recent.push(now);
    return { action: "restart", delayMs };
  }

  /** Forgets past restarts (an operator lifted a quarantine or restarted the runner). */
  reset(): void {
    this.#recent = [];
    this.#streak = 0;
  }
}
