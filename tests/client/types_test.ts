/**
 * Type-level tests of the client: `types/typed_usage.ts` must compile, and
 * with its `@ts-expect-error` markers removed it must fail exactly on the
 * marked lines (a misspelled param, a result used with the wrong type...).
 * Checked on the source with `deno check`, and on the bundled `.d.ts` of
 * `client/dist` with TypeScript, as a package consumer compiles it.
 *
 * @module
 */

import ts from "typescript";
import { assert, assertEquals } from "../_helpers/assert.ts";
import { ROOT, runDeno } from "../_helpers/command.ts";

const USAGE = `${ROOT}tests/client/types/typed_usage.ts`;
const MARKER = "// @ts-expect-error";

/** The usage file (it imports `@hero-supervisor/client`), optionally unmarked. */
async function usage(unmarked: boolean): Promise<string> {
  let text = await Deno.readTextFile(USAGE);
  if (unmarked) text = text.replaceAll(MARKER, "// (expected error)");
  return text;
}

/** The 1-based lines that follow a marker. */
async function markedLines(): Promise<number[]> {
  const lines = (await Deno.readTextFile(USAGE)).split("\n");
  return lines.flatMap((line, i) => line.trim().startsWith(MARKER) ? [i + 2] : []);
}

Deno.test("the typed usage compiles with deno check (source)", async () => {
  const { ok, output } = await runDeno(["check", USAGE]);
  assert(ok, output);
});

Deno.test("without @ts-expect-error, deno check fails on each marked line (source)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "hero-types-" });
  try {
    const file = `${dir}/usage.ts`;
    await Deno.writeTextFile(file, await usage(true));
    const { ok, output } = await runDeno(["check", "--config", `${ROOT}deno.json`, file]);
    assert(!ok, "deno check passed, but the file has type errors");
    const lines = [...output.matchAll(/usage\.ts:(\d+):\d+/g)].map((m) => Number(m[1]));
    assertEquals([...new Set(lines)].sort((a, b) => a - b), await markedLines(), output);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Compiles `source` against the installed package; returns the error lines and messages. */
async function compileAgainstPackage(source: string): Promise<{ line: number; text: string }[]> {
  const dir = await Deno.makeTempDir({ prefix: "hero-types-pkg-" });
  try {
    const pkg = `${dir}/node_modules/@hero-supervisor/client`;
    await Deno.mkdir(pkg, { recursive: true });
    for (const entry of Deno.readDirSync(`${ROOT}client/dist`)) {
      if (entry.isFile) {
        await Deno.copyFile(`${ROOT}client/dist/${entry.name}`, `${pkg}/${entry.name}`);
      }
    }
    const file = `${dir}/usage.ts`;
    await Deno.writeTextFile(file, source);
    const program = ts.createProgram([file], {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      lib: ["lib.es2022.d.ts", "lib.dom.d.ts", "lib.dom.iterable.d.ts"],
      types: [],
    });
    return ts.getPreEmitDiagnostics(program).map((d) => ({
      line: d.file && d.start !== undefined
        ? d.file.getLineAndCharacterOfPosition(d.start).line + 1
        : 0,
      text: ts.flattenDiagnosticMessageText(d.messageText, "\n"),
    }));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("the typed usage compiles against the bundled .d.ts (package)", async () => {
  const errors = await compileAgainstPackage(await usage(false));
  assertEquals(errors, []);
});

Deno.test("without @ts-expect-error, TypeScript fails on each marked line (package)", async () => {
  const errors = await compileAgainstPackage(await usage(true));
  const lines = [...new Set(errors.map((e) => e.line))].sort((a, b) => a - b);
  assertEquals(lines, await markedLines(), JSON.stringify(errors, null, 2));
});
