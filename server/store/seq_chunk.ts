/**
 * How a bounded sequence's chunk (one append: many items) is kept as text,
 * by both stores.
 *
 * Items of one shape (a job's log lines: `ts`, `stream`, `line`) are kept
 * by columns: a column whose values are all the same is kept once, one of
 * whole numbers (a timestamp) as differences. Lines of 6 characters take a
 * fifth of the room of an array of objects (11 bytes a line against 55),
 * lines of 55 characters 58 % (measured; the embedded store's commits and checkpoints of a printing
 * job's lines were a third of the supervisor's time). Items of mixed shapes
 * are kept as a JSON array, as chunks were before; both are read.
 *
 * What is read back is what `JSON.parse(JSON.stringify(items))` gives.
 *
 * @module
 */

import type { SeqItem } from "./store.ts";

/** A column: all one value, whole numbers as differences, or the values. */
type Column = { same: unknown } | { step: number[] } | unknown[];

/** A chunk by columns. */
interface Columns {
  /** How many items. */
  n: number;
  /** Their keys, in order. */
  k: string[];
  c: Column[];
}

/**
 * Items already held by columns (a job log writer's batch): the chunk they
 * make, without an object per item on the way.
 */
export interface SeqColumns {
  /** How many items. */
  readonly length: number;
  /** Their chunk's text, as {@linkcode encodeChunk} makes it of the same items. */
  chunk(): string;
}

/** The chunk of `items`, as text. */
export function encodeChunk(items: readonly SeqItem[] | SeqColumns): string {
  if (!Array.isArray(items)) return (items as SeqColumns).chunk();
  const columns = items.length > 1 ? byColumns(items as readonly SeqItem[]) : null;
  return JSON.stringify(columns ?? items);
}

/**
 * The chunk of items whose `keys` hold `values` (a column per key, one value
 * per item; numbers may come in a `Float64Array`).
 */
export function encodeColumns(keys: string[], values: (unknown[] | Float64Array)[]): string {
  const columns: Columns = { n: values[0]?.length ?? 0, k: keys, c: values.map(column) };
  return JSON.stringify(columns);
}

/** The items of a chunk that {@linkcode encodeChunk} made (or an array of them). */
export function decodeChunk<T extends SeqItem>(text: string): T[] {
  const parsed = JSON.parse(text) as T[] | Columns;
  if (Array.isArray(parsed)) return parsed;
  const { n, k: keys, c } = parsed;
  const columns = c.map((column) => values(column, n));
  const items: T[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const item: Record<string, unknown> = {};
    for (let j = 0; j < keys.length; j++) item[keys[j]] = columns[j][i];
    items[i] = item as T;
  }
  return items;
}

/** A column's values. */
function values(column: Column, n: number): unknown[] {
  if (Array.isArray(column)) return column;
  if ("same" in column) return new Array(n).fill(column.same);
  const out = column.step.slice();
  for (let i = 1; i < out.length; i++) out[i] += out[i - 1];
  return out;
}

/**
 * `items` by columns, or null when they are not all of one shape (the same
 * keys in the same order) or hold what JSON keeps differently in an object
 * than in an array (an undefined value is left out of one, null in the other).
 */
function byColumns(items: readonly SeqItem[]): Columns | null {
  const keys: string[] = [];
  for (const key in items[0]) {
    if (key === "__proto__") return null;
    keys.push(key);
  }
  const columns: unknown[][] = keys.map(() => new Array(items.length));
  for (let i = 0; i < items.length; i++) {
    const item = items[i] as Record<string, unknown>;
    let j = 0;
    for (const key in item) {
      const value = item[key];
      if (
        key !== keys[j] || value === undefined || typeof value === "function" ||
        typeof value === "symbol"
      ) return null;
      columns[j++][i] = value;
    }
    if (j !== keys.length) return null;
  }
  return { n: items.length, k: keys, c: columns.map(column) };
}

/** The shortest form of one column's values. */
function column(values: unknown[] | Float64Array): Column {
  if (values instanceof Float64Array) return numbers(values);
  const first = values[0];
  if (first === null || typeof first !== "object") {
    let same = true;
    for (let i = 1; i < values.length && same; i++) same = values[i] === first;
    if (same) return { same: first };
  }
  if (!Number.isSafeInteger(first)) return values;
  const step = new Array<number>(values.length);
  step[0] = first as number;
  for (let i = 1; i < values.length; i++) {
    const d = (values[i] as number) - (values[i - 1] as number);
    if (!Number.isSafeInteger(values[i]) || !Number.isSafeInteger(d)) return values;
    step[i] = d;
  }
  return { step };
}

/**
 * {@linkcode column} of numbers in a `Float64Array`: the same forms, read
 * without boxing. A function of its own: `column` made to take both read a
 * log's timestamps boxed (measured: 117-122 bytes a printed line allocated
 * by the supervisor, against 97).
 */
function numbers(values: Float64Array): Column {
  const first = values[0];
  let same = true;
  for (let i = 1; i < values.length && same; i++) same = values[i] === first;
  if (same) return { same: first };
  if (!Number.isSafeInteger(first)) return Array.from(values);
  const step = new Array<number>(values.length);
  step[0] = first;
  for (let i = 1; i < values.length; i++) {
    const d = values[i] - values[i - 1];
    if (!Number.isSafeInteger(values[i]) || !Number.isSafeInteger(d)) return Array.from(values);
    step[i] = d;
  }
  return { step };
}
