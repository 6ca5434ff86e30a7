/**
 * The generated files are what `deno task gen` makes from the shared
 * schemas and the method table: nothing derived is edited by hand.
 */

import { generatedFiles } from "../../shared/codegen/generate.ts";
import { DOC_FILES, renderDoc } from "../../docs/generate.ts";
import { assertEquals } from "../_helpers/assert.ts";

async function format(text: string, ext = "ts"): Promise<string> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--ext", ext, "-"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(text));
  await writer.close();
  const out = await child.output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout);
}

Deno.test("generated files are up to date (run `deno task gen` if not)", async () => {
  const root = new URL("../../", import.meta.url);
  for (const file of generatedFiles()) {
    const onDisk = await Deno.readTextFile(new URL(file.path, root));
    assertEquals(onDisk, await format(file.text), `${file.path} is stale: run deno task gen`);
  }
});

Deno.test("the generated sections of the docs are up to date (run `deno task gen` if not)", async () => {
  const root = new URL("../../", import.meta.url);
  for (const file of DOC_FILES) {
    const onDisk = await Deno.readTextFile(new URL(file, root));
    assertEquals(
      onDisk,
      await format(renderDoc(onDisk, file), "md"),
      `${file} is stale: run deno task gen`,
    );
  }
});
