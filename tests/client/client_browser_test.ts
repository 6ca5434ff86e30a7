/**
 * The client suite in headless Chromium: the page loads the built bundle
 * from another origin standing in for a CDN (as `import ... from
 * "https://cdn.jsdelivr.net/npm/@hero-supervisor/client/+esm"` would), and
 * calls the supervisor cross-origin (CORS, Bearer header, fetch streaming).
 *
 * @module
 */

import { assert } from "../_helpers/assert.ts";
import { launchBrowser, watchedPage } from "../_helpers/browser.ts";
import { ROOT } from "../_helpers/command.ts";
import { serveStatic } from "../_helpers/static_server.ts";
import { type CaseResult, startSuiteSupervisor } from "./_env.ts";
import { cases } from "./client_suite.mjs";

const CDN_PATH = "/npm/@hero-supervisor/client/+esm";

Deno.test("client suite in Chromium (bundle from a CDN stand-in)", async (t) => {
  const cdn = serveStatic({ [CDN_PATH]: { file: `${ROOT}client/dist/hero-supervisor-client.js` } });
  const page = `<!doctype html><meta charset="utf-8"><title>client suite</title>
<script type="module">
  try {
    const client = await import("${cdn.url}${CDN_PATH}");
    const { runSuite } = await import("/client_suite.mjs");
    const env = JSON.parse(decodeURIComponent(location.hash.slice(1)));
    window.results = await runSuite(client, env);
  } catch (error) {
    window.failure = String(error?.stack ?? error);
  }
  window.done = true;
</script>`;
  const app = serveStatic({
    "/": { text: page, type: "text/html; charset=utf-8" },
    "/client_suite.mjs": { file: `${ROOT}tests/client/client_suite.mjs` },
  });
  const { sup, env } = await startSuiteSupervisor();
  const browser = await launchBrowser();
  try {
    const watched = await watchedPage(browser);
    await watched.page.goto(`${app.url}/#${encodeURIComponent(JSON.stringify(env))}`);
    await watched.page.waitForFunction(() => (globalThis as { done?: boolean }).done, null, {
      timeout: 60_000,
    });
    const failure = await watched.page.evaluate(() => (globalThis as { failure?: string }).failure);
    assert(!failure, `the page could not run the suite: ${failure}`);
    const results = new Map<string, CaseResult>(
      (await watched.page.evaluate(() => (globalThis as { results?: CaseResult[] }).results))!
        .map((r) => [r.name, r]),
    );
    for (const c of cases) {
      await t.step(c.name, () => {
        const result = results.get(c.name);
        assert(result, "no result from the page");
        assert(result.ok, result.error);
      });
    }
    assert(watched.pageErrors.length === 0, watched.pageErrors.join("\n"));
  } finally {
    await browser.close();
    await sup.close();
    await cdn.close();
    await app.close();
  }
});
