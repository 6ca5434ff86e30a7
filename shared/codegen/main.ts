/**
 * `deno task gen`: writes the generated files and formats them.
 *
 * @module
 */

import { generatedFiles } from "./generate.ts";

const root = new URL("../../", import.meta.url);
const paths: string[] = [];
for (const file of generatedFiles()) {
  const path = new URL(file.path, root).pathname;
  await Deno.writeTextFile(path, file.text);
  paths.push(path);
}
const fmt = await new Deno.Command(Deno.execPath(), { args: ["fmt", "--quiet", ...paths] })
  .output();
if (!fmt.success) {
  console.error(new TextDecoder().decode(fmt.stderr));
  Deno.exit(1);
}
console.log(`generated ${paths.length} files`);
