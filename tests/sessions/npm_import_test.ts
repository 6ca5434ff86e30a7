/**
 * `npm:` imports, which Deno fetches without asking any permission: a job
 * may import an npm package only when its runner's net grant reaches the npm
 * registry. Real session processes against a real (local) npm registry that
 * serves one package, with a test DENO_DIR.
 */

import { assert, assertEquals, assertMatch } from "../_helpers/assert.ts";
import { ProcessRuntime } from "../../server/runners/process_runtime.ts";
import type { Permissions } from "../../shared/types.generated.ts";
import { runInSession } from "../_helpers/session.ts";

/** A ustar archive of `files` (name → text), gzipped: an npm package tarball. */
async function tarball(files: Record<string, string>): Promise<Uint8Array<ArrayBuffer>> {
  const encoder = new TextEncoder();
  const blocks: Uint8Array[] = [];
  for (const [name, text] of Object.entries(files)) {
    const body = encoder.encode(text);
    const header = new Uint8Array(512);
    const put = (at: number, value: string) => header.set(encoder.encode(value), at);
    put(0, name);
    put(100, "0000644\0");
    put(108, "0000000\0");
    put(116, "0000000\0");
    put(124, body.length.toString(8).padStart(11, "0") + "\0");
    put(136, "00000000000\0");
    put(148, "        ");
    put(156, "0");
    put(257, "ustar\0");
    put(263, "00");
    const sum = header.reduce((a, b) => a + b, 0);
    put(148, sum.toString(8).padStart(6, "0") + "\0 ");
    blocks.push(header, body, new Uint8Array((512 - (body.length % 512)) % 512));
  }
  blocks.push(new Uint8Array(1024));
  const tar = new Blob(blocks as BlobPart[]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(tar).arrayBuffer());
}

const hex = (bytes: ArrayBuffer) =>
  [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");

Deno.test("npm: imports need a net grant that reaches the registry", async (t) => {
  const tgz = await tarball({
    "package/package.json": JSON.stringify({
      name: "hero-fixture",
      version: "1.0.0",
      type: "module",
      main: "index.js",
    }),
    "package/index.js": "export default 'from the registry';\n",
  });
  const shasum = hex(await crypto.subtle.digest("SHA-1", tgz));
  const integrity = `sha512-${
    btoa(String.fromCharCode(...new Uint8Array(await crypto.subtle.digest("SHA-512", tgz))))
  }`;
  let registry = "";
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req): Response => {
    const path = new URL(req.url).pathname;
    if (path === "/hero-fixture") {
      return Response.json({
        name: "hero-fixture",
        "dist-tags": { latest: "1.0.0" },
        versions: {
          "1.0.0": {
            name: "hero-fixture",
            version: "1.0.0",
            dist: {
              tarball: `${registry}hero-fixture/-/hero-fixture-1.0.0.tgz`,
              shasum,
              integrity,
            },
          },
        },
      });
    }
    if (path === "/hero-fixture/-/hero-fixture-1.0.0.tgz") return new Response(tgz);
    return new Response("not found", { status: 404 });
  });
  const host = `127.0.0.1:${server.addr.port}`;
  registry = `http://${host}/`;
  const userDenoDir = await Deno.makeTempDir({ prefix: "hero-npm-user-" });
  const runtime = await ProcessRuntime.open("hero-npm-", { denoDir: userDenoDir });
  const run = async (permissions: Permissions) =>
    (await runInSession(
      runtime,
      'export default async () => (await import("npm:hero-fixture@1.0.0")).default;',
      { permissions, npmRegistry: registry, env: { NPM_CONFIG_REGISTRY: registry } },
    )).outcome;

  try {
    await t.step("without a net grant, the import fails and says why", async () => {
      const outcome = await run({});
      assert(outcome.kind === "error", JSON.stringify(outcome));
      assertMatch(outcome.message, /npm: imports need a net grant that reaches the npm registry/);
    });
    await t.step("a net grant for other hosts does not reach the registry", async () => {
      const outcome = await run({ net: ["127.0.0.1:1"] });
      assert(outcome.kind === "error", JSON.stringify(outcome));
      assertMatch(outcome.message, /--no-npm/);
    });
    await t.step("with the registry's host granted, the package is fetched and runs", async () => {
      assertEquals(await run({ net: [host] }), { kind: "success", value: "from the registry" });
      // Kept in the user's npm cache, which sessions share.
      const cached = await Array.fromAsync(Deno.readDir(`${userDenoDir}/npm`));
      assert(cached.length > 0, "nothing in the user's npm cache");
    });
  } finally {
    await runtime.close();
    await server.shutdown();
    await Deno.remove(userDenoDir, { recursive: true });
  }
});
