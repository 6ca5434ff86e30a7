/**
 * Summaries of a benchmark's samples: percentiles, medians and their spread.
 *
 * @module
 */

/** The `p` quantile of sorted values (nearest rank). */
export const pct = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];

/** The median of values (any order). */
export const median = (values: number[]): number => pct([...values].sort((a, b) => a - b), 0.5);

/** "median (min–max)" of values, with `digits` decimals. */
export function spread(values: number[], digits = 2): string {
  const sorted = [...values].sort((a, b) => a - b);
  const f = (x: number) => x.toFixed(digits);
  return `${f(pct(sorted, 0.5))} (${f(sorted[0])}–${f(sorted.at(-1)!)})`;
}
