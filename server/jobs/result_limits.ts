/**
 * The limits of a job's result: how deeply it may nest and how large its
 * JSON may be. A result past them fails its job at once with a message
 * that says which limit, instead of failing later where it is stored (a
 * 100 000-deep object overflows the stack of `JSON.stringify` there).
 *
 * @module
 */

/** Levels of nesting a result may have. */
export const MAX_RESULT_DEPTH = 256;
/** Characters of JSON a result may take. */
export const MAX_RESULT_BYTES = 4 * 1024 * 1024;

/** Why a result cannot be kept, or null when it can. Never recurses. */
export function resultProblem(value: unknown): string | null {
  // Depth first, without recursion: a value too deep to stringify is found before it is tried.
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [item, depth] = stack.pop()!;
    if (item === null || typeof item !== "object") continue;
    if (depth > MAX_RESULT_DEPTH) {
      return `result too deep: more than ${MAX_RESULT_DEPTH} levels of nesting (the limit)`;
    }
    for (const child of Array.isArray(item) ? item : Object.values(item)) {
      if (child !== null && typeof child === "object") {
        stack.push([child, depth + 1]);
      }
    }
  }
  let size: number;
  try {
    size = JSON.stringify(value ?? null).length;
  } catch (error) {
    return `result cannot be stored as JSON: ${(error as Error).message}`;
  }
  if (size > MAX_RESULT_BYTES) {
    return `result too large: ${size} characters of JSON, the limit is ${MAX_RESULT_BYTES}`;
  }
  return null;
}
