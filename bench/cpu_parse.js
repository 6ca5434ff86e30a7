/**
 * The CPU readings of the benchmarks, parsed and subtracted the same way for
 * the Deno side (`cpu_usage.ts`) and the BullMQ baseline under Node.
 *
 * @module
 */

// @ts-check

/** Clock ticks per second of `/proc` times: 100 on every Linux this runs on. */
export const TICK_MS = 10;

/**
 * The machine's busy and total CPU, ms, from the text of `/proc/stat`.
 * @param {string} procStat
 * @returns {{ busy: number; total: number }}
 */
export function machineCpuMs(procStat) {
  // user nice system idle iowait irq softirq steal; guest time is already counted in user.
  const ticks = procStat.split("\n")[0].trim().split(/\s+/).slice(1, 9).map(Number);
  const total = ticks.reduce((a, b) => a + b, 0);
  const idle = ticks[3] + (ticks[4] ?? 0);
  return { busy: (total - idle) * TICK_MS, total: total * TICK_MS };
}

/**
 * Redis's user + system CPU, ms, from the text of `INFO cpu`.
 * @param {string} info
 * @returns {number}
 */
export function redisCpuMsOf(info) {
  /** @param {string} name */
  const seconds = (name) => Number(info.match(new RegExp(`${name}:([\\d.]+)`))?.[1] ?? 0);
  return (seconds("used_cpu_user") + seconds("used_cpu_sys")) * 1000;
}

/**
 * One reading: CPU ms per process, Redis CPU ms, and machine CPU ms (busy, total).
 * @typedef {{ processes: number[]; redis: number; busy: number; total: number }} CpuReading
 */

/**
 * CPU used between two readings, in ms, and the share of the machine that was busy.
 * @typedef {{ processes: number[]; redis: number; busyShare: number }} CpuSpent
 */

/**
 * What was spent between two readings; null if either is missing.
 * @param {CpuReading | null} before
 * @param {CpuReading | null} after
 * @returns {CpuSpent | null}
 */
export function cpuSpent(before, after) {
  if (!before || !after) return null;
  return {
    processes: after.processes.map((ms, i) => ms - before.processes[i]),
    redis: after.redis - before.redis,
    busyShare: (after.busy - before.busy) / Math.max(1, after.total - before.total),
  };
}
