/**
 * Logging: levels, times, categories; human or JSON lines (`log.ts`).
 *
 * @module
 */

export * from "./log.ts";
