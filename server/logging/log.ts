/**
 * The supervisor's log: levels, times and categories, as human lines on
 * stderr, or JSON lines for a log shipper (`log_format = "json"`), through
 * LogTape (Deno-first, no dependencies). Modules log by category
 * (`getLog("http")`); nothing is written until `setUpLogging` has run, so a
 * supervisor embedded in a test stays quiet. Secrets are never logged: no
 * call site passes one.
 *
 * @module
 */

import {
  configure,
  getLogger,
  jsonLinesFormatter,
  type LogLevel,
  type LogRecord,
  reset,
} from "@logtape/logtape";

/** The levels the config may set. */
export type Level = "debug" | "info" | "warning" | "error";

/** How logs are written. */
export interface LogSettings {
  /** `text`: one human line per record; `json`: one JSON object per line. */
  format: "text" | "json";
  /** The lowest level written. */
  level: Level;
}

/** Where the supervisor says what it does. */
export interface Log {
  debug(message: string, properties?: Record<string, unknown>): void;
  info(message: string, properties?: Record<string, unknown>): void;
  warn(message: string, properties?: Record<string, unknown>): void;
  error(message: string, properties?: Record<string, unknown>): void;
}

const LEVEL_NAMES: Record<LogLevel, string> = {
  trace: "TRACE",
  debug: "DEBUG",
  info: "INFO ",
  warning: "WARN ",
  error: "ERROR",
  fatal: "FATAL",
};

function shown(value: unknown): string {
  if (typeof value === "string") return value;
  if (value instanceof Error) return value.message;
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

/** `2026-12-06T23:13:24.102Z INFO  supervisor: listening on http://127.0.0.1:3030` */
function textLine(record: LogRecord): string {
  const message = record.message.map((part, i) => i % 2 ? shown(part) : part)
    .join("");
  const category = record.category.slice(1).join(".") ||
    record.category.join(".");
  let line = `${new Date(record.timestamp).toISOString()} ${LEVEL_NAMES[record.level]} ` +
    `${category}: ${message}`;
  const error = record.properties.error;
  if (error instanceof Error && error.stack) line += `\n${error.stack}`;
  return line + "\n";
}

const encoder = new TextEncoder();

/** Writes the supervisor's logs to stderr, as `settings` says. */
export async function setUpLogging(settings: LogSettings): Promise<void> {
  const format = settings.format === "json" ? jsonLinesFormatter : textLine;
  await configure({
    reset: true,
    sinks: {
      stderr: (record: LogRecord) => {
        try {
          Deno.stderr.writeSync(encoder.encode(format(record)));
        } catch {
          // stderr closed: nowhere to say it.
        }
      },
    },
    loggers: [
      { category: ["hero"], lowestLevel: settings.level, sinks: ["stderr"] },
      {
        category: ["logtape", "meta"],
        lowestLevel: "warning",
        sinks: ["stderr"],
      },
    ],
  });
}

/** Stops writing logs (a test that set them up). */
export async function tearDownLogging(): Promise<void> {
  await reset();
}

/** The log of one part of the supervisor (`supervisor`, `http`, `runner`...). */
export function getLog(category: string): Log {
  const logger = getLogger(["hero", category]);
  return {
    debug: (message, properties) => logger.debug(escape(message), properties ?? {}),
    info: (message, properties) => logger.info(escape(message), properties ?? {}),
    warn: (message, properties) => logger.warn(escape(message), properties ?? {}),
    error: (message, properties) => logger.error(escape(message), properties ?? {}),
  };
}

/** A log that hands every message to `write` (a test, or an embedding program). */
export function logTo(write: (message: string) => void): Log {
  return { debug: write, info: write, warn: write, error: write };
}

/** A finished message is not a template: its braces are text. */
function escape(message: string): string {
  return message.replaceAll("{", "{{").replaceAll("}", "}}");
}
