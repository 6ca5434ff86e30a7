/**
 * Running a program to completion and reading what it printed.
 *
 * @module
 */

/** The repository's root directory. */
export const ROOT = new URL("../../", import.meta.url).pathname;

/** What a finished program left. */
export interface CommandOutput {
  ok: boolean;
  code: number;
  stdout: string;
  stderr: string;
  /** stdout then stderr, for assertion messages. */
  output: string;
}

/** Runs `program` (in the repository's root unless `cwd` says otherwise) and waits for it. */
export async function runCommand(
  program: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; stdin?: string } = {},
): Promise<CommandOutput> {
  const child = new Deno.Command(program, {
    args,
    cwd: options.cwd ?? ROOT,
    env: options.env,
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(options.stdin));
    await writer.close();
  }
  const out = await child.output();
  const decoder = new TextDecoder();
  const stdout = decoder.decode(out.stdout);
  const stderr = decoder.decode(out.stderr);
  return { ok: out.success, code: out.code, stdout, stderr, output: stdout + stderr };
}

// deno-lint-ignore no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

/**
 * Runs `deno` with `args`. Its output is parsed, so it comes without colours
 * (asked with NO_COLOR, and stripped in case FORCE_COLOR overrides that).
 */
export async function runDeno(
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; stdin?: string } = {},
): Promise<CommandOutput> {
  const out = await runCommand(Deno.execPath(), args, {
    ...options,
    env: { NO_COLOR: "1", ...options.env },
  });
  const stdout = out.stdout.replace(ANSI, "");
  const stderr = out.stderr.replace(ANSI, "");
  return { ...out, stdout, stderr, output: stdout + stderr };
}
