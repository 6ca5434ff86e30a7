/**
 * A job's error reads as the user wrote the payload: a syntax error names
 * itself once and points at `payload:LINE:COLUMN` (not at the percent-encoded
 * `data:` URL the payload is imported from), a remote import refused for
 * lack of a grant says which grant, and a thrown error is its own message.
 */

import { assert, assertEquals, assertMatch } from "../_helpers/assert.ts";
import { startSupervisor } from "../_helpers/supervisor.ts";

Deno.test("job errors: the name once, payload:LINE:COLUMN, and a hint for refused imports", async () => {
  await using s = await startSupervisor({ runners: [{ name: "r", kind: "script", instances: 1 }] });
  await s.sup.runners.get("r").whenReady();
  const errorOf = async (payload: string) =>
    (await s.user.call<{ error: string }>("job.run", { job: { runner: "r", payload } })).error;

  for (
    const payload of [
      "export default () => {\n  let x = ;\n}",
      // TypeScript that stripping cannot erase goes to Deno as TypeScript: the same message.
      "enum E { A }\nexport default () => {\n  let x = ;\n}",
    ]
  ) {
    const syntax = await errorOf(payload);
    assertMatch(syntax, /^SyntaxError: Expression expected\n/);
    assertMatch(syntax, /at payload:\d+:11$/);
    assert(!syntax.includes("data:"), syntax);
  }
  assertMatch(
    await errorOf("import x from 'https://example.com/mod.ts';\nexport default x;"),
    /^TypeError: Requires import access to "example\.com:443", the runner's permissions\.net does not grant it\n {4}at payload:1:15$/,
  );
  assertMatch(
    await errorOf("import x from 'https://deno.land/x/mod.ts';\nexport default x;"),
    /^TypeError: A remote specifier was requested: "https:\/\/deno\.land\/x\/mod\.ts", but --no-remote is specified \(imports from the network need the runner's net grant to include that host\)\.\n {4}at payload:1:15$/,
  );
  assertEquals(
    await errorOf("export default () => Deno.readTextFileSync('/etc/hostname');"),
    `NotCapable: Requires read access to "/etc/hostname", the runner's permissions.read does not grant it`,
  );
  assertEquals(
    await errorOf("export default () => null.boom();"),
    "TypeError: Cannot read properties of null (reading 'boom')",
  );
  assertEquals(await errorOf("throw new RangeError('out');"), "RangeError: out");
});
