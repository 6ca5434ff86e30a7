/**
 * Payloads stripped of types by the supervisor, and those left to Deno:
 * which way each goes, and, with real jobs in real session processes, that
 * both run a payload exactly as Deno's own transpile would.
 */

import { assertEquals, assertMatch } from "../_helpers/assert.ts";
import { startSupervisor } from "../_helpers/supervisor.ts";
import { MAX_STRIPPED_CHARS, payloadModule } from "../../server/sessions/payload_module.ts";

Deno.test("payloadModule: only what stripping runs exactly as Deno would is stripped", () => {
  const stripped = payloadModule("const a: number = 1;\nexport default (x: string): number => a;");
  assertEquals(stripped.language, "javascript");
  // Types are blanked out in place: every line and column stays where it was.
  assertEquals(stripped.source, "const a         = 1;\nexport default (x        )         => a;");
  assertEquals(payloadModule("export default 42;").language, "javascript");

  const leftToDeno = {
    "an enum": "enum E { A }\nexport default E.A;",
    "a namespace": "namespace N { export const a = 1; }\nexport default N.a;",
    "a parameter property": "class P { constructor(public a: number) {} }\nexport default 1;",
    "a decorator": "function d(v: unknown) { return v; }\n@d class A {}\nexport default 1;",
    "an import Deno may drop": "import { T } from './t.ts';\nlet x: T;\nexport default 1;",
    "a default import": "import t from './t.ts';\nexport default t;",
    "a syntax error": "export default ) =>",
    "a large payload": `export default ${"1 + ".repeat(MAX_STRIPPED_CHARS / 4)}1;`,
  };
  for (const [what, payload] of Object.entries(leftToDeno)) {
    assertEquals(payloadModule(payload), { source: payload, language: "typescript" }, what);
  }
});

Deno.test("payloads run as Deno runs them, stripped or not", async (t) => {
  await using s = await startSupervisor({
    runners: [{ name: "ts", kind: "script", instances: 2 }],
  });
  await s.sup.runners.get("ts").whenReady();
  const run = (payload: string) =>
    s.user.call<{ success?: unknown; error?: string }>("job.run", {
      job: { runner: "ts", payload },
    });

  await t.step("type annotations, generics, satisfies and non-null, stripped", async () => {
    const reply = await run(
      `type Point = { x: number };
       const id = <T,>(v: T): T => v;
       const p = { x: 2 } satisfies Point;
       const n: number | undefined = 40;
       export default (): number => id<number>(p.x) + n!;`,
    );
    assertEquals(reply.success, 42);
  });

  await t.step("an enum, a parameter property and a decorator, through Deno", async () => {
    const reply = await run(
      `enum E { A, B }
       class P { constructor(public a: number) {} }
       function keep<T>(v: T, _c: unknown): T { return v; }
       @keep class D {}
       export default [E.B, new P(2).a, typeof D];`,
    );
    assertEquals(reply.success, [1, 2, "function"]);
  });

  await t.step("an import used only as a type is dropped, as Deno drops it", async () => {
    const reply = await run(
      `import { Missing } from "data:application/javascript,export const other = 1;";
       let unused: Missing | undefined;
       export default "ran";`,
    );
    assertEquals(reply.success, "ran");
  });

  await t.step("a stack trace points at the line and column as written", async () => {
    const last =
      `export default (): never => { throw new Error("at " + new Error().stack!.split("\\n")[1]); };`;
    const reply = await run(`const a: number = 1;\ntype Shape = {\n  a: string;\n};\n${last}`);
    const column = last.indexOf("new Error()") + 1;
    assertMatch(reply.error ?? "", new RegExp(`^Error: at .*:5:${column}\\)?$`));
  });

  await t.step("a syntax error is Deno's own message", async () => {
    const reply = await run("export default ) =>");
    assertMatch(reply.error ?? "", /SyntaxError: Expression expected/);
  });
});
