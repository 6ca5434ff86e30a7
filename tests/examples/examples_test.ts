/**
 * Every example runs green against a live supervisor, as its header says to
 * run it: the `deno run` ones with their narrow permissions, the browser page
 * through its own `serve.ts` in headless Chromium.
 *
 * @module
 */

import { assert, assertEquals } from "../_helpers/assert.ts";
import { launchBrowser, watchedPage } from "../_helpers/browser.ts";
import { ROOT, runDeno } from "../_helpers/command.ts";
import { freePort } from "../_helpers/ports.ts";
import { SECRETS, startSupervisor, type TestSupervisor } from "../_helpers/supervisor.ts";

const PERMISSIONS = ["--allow-net", "--allow-env", "--allow-read=.hero"];

function runExample(
  name: string,
  env: Record<string, string>,
  cwd = ROOT,
) {
  return runDeno(["run", ...PERMISSIONS, `${ROOT}examples/${name}`], { env, cwd });
}

function startExampleSupervisor(): Promise<TestSupervisor> {
  return startSupervisor({ runners: [{ name: "default", kind: "script", instances: 2 }] });
}

Deno.test("examples run against a live supervisor", async (t) => {
  await using sup = await startExampleSupervisor();
  const env = { HERO_URL: sup.url, HERO_SECRET: SECRETS.admin };

  await t.step("quickstart.ts: job.run and its result", async () => {
    const { ok, output } = await runExample("quickstart.ts", env);
    assert(ok, output);
    assert(
      /result: \{"success":\{"greeting":"hello from job [\w-]+","answer":42\}\}/.test(output),
      output,
    );
  });

  await t.step("async.ts: create, start, poll, result", async () => {
    const { ok, stdout, output } = await runExample("async.ts", env);
    assert(ok, output);
    const lines = stdout.trim().split("\n");
    assert(/^created [\w-]+$/.test(lines[0]), output);
    assertEquals(lines[1], "started");
    const statuses = lines.filter((l) => l.startsWith("status: "));
    assertEquals(statuses.at(-1), "status: completed", output);
    assertEquals(lines.at(-1), 'result: {"success":[1,4,9]}');
  });

  await t.step("flow.ts: three jobs pass a value along; a delayed one is scheduled", async () => {
    const { ok, stdout, output } = await runExample("flow.ts", env);
    assert(ok, output);
    const lines = stdout.trim().split("\n");
    assert(/^created \w+-fetch \w+-square \w+-sum$/.test(lines[0]), output);
    assertEquals(lines.slice(1), ['sum: {"success":50}', "later: scheduled"]);
  });

  await t.step("schedules.ts: a schedule fires, is paused, run by hand and deleted", async () => {
    const { ok, stdout, output } = await runExample("schedules.ts", env);
    assert(ok, output);
    const lines = stdout.trim().split("\n");
    assert(
      /^created heartbeat-\w+: \* \* \* \* \* \* \(UTC\), overlap skip$/.test(lines[0]),
      output,
    );
    assertEquals(lines.slice(1), [
      '3 runs; the last: {"success":"tick"}',
      "paused, next run: null",
      "ran by hand: true",
      "deleted",
    ]);
  });

  await t.step("live_logs.ts: lines in order as they come, then the result", async () => {
    const { ok, stdout, output } = await runExample("live_logs.ts", env);
    assert(ok, output);
    assertEquals(stdout.trim().split("\n"), [
      "[stdout #1] step 1 of 5",
      "[stdout #2] step 2 of 5",
      "[stdout #3] step 3 of 5",
      "[stdout #4] step 4 of 5",
      "[stdout #5] step 5 of 5",
      "[stderr #6] a line on stderr",
      'result: {"success":"all steps done"}',
    ]);
  });

  await t.step("runners.ts: a runner with one net grant, and nothing more", async () => {
    const { ok, stdout, output } = await runExample("runners.ts", env);
    assert(ok, output);
    const resultLine = stdout.split("\n").find((l) => l.startsWith("result: "));
    assert(resultLine, output);
    const { success } = JSON.parse(resultLine.slice("result: ".length));
    assertEquals(success.health, "ok");
    assert(/Requires net access to "127\.0\.0\.1:65000"/.test(success.other_host), output);
    assert(/Requires env access/.test(success.env), output);
    assert(stdout.includes("removed runner fetcher"), output);
    assertEquals(await sup.admin.call("list_runners", {}), ["default"]);
  });

  await t.step("admin.ts: info, and a secret added, used, removed", async () => {
    const { ok, stdout, output } = await runExample("admin.ts", env);
    assert(ok, output);
    assert(/^hero-supervisor \d+\.\d+\.\d+: store embedded, 1 runner\(s\)/.test(stdout), output);
    assert(stdout.includes("the new secret lists jobs: 3 shown"), output);
    assert(/secret user sha256:[0-9a-f]+ \(api\)/.test(stdout), output);
    assert(stdout.includes("the removed secret is refused: -32001"), output);
    assert(!stdout.includes(SECRETS.admin), "a secret was printed");
  });

  await t.step("the secret comes from .hero/admin.secret when HERO_SECRET is not set", async () => {
    const dir = await Deno.makeTempDir({ prefix: "hero-example-" });
    try {
      await Deno.mkdir(`${dir}/.hero`);
      await Deno.writeTextFile(`${dir}/.hero/admin.secret`, `${SECRETS.admin}\n`);
      const found = await runExample("quickstart.ts", { HERO_URL: sup.url }, dir);
      assert(found.ok && found.stdout.includes('"answer":42'), found.output);

      await Deno.remove(`${dir}/.hero`, { recursive: true });
      const missing = await runExample("quickstart.ts", { HERO_URL: sup.url }, dir);
      assertEquals(missing.code, 2, missing.output);
      assert(missing.stderr.includes("set HERO_SECRET"), missing.output);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});

Deno.test("examples/browser: the page runs a job with live logs in Chromium", async () => {
  await using sup = await startExampleSupervisor();
  const port = freePort();
  const server = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net=127.0.0.1",
      "--allow-read=.",
      "examples/browser/serve.ts",
      "--port",
      String(port),
    ],
    cwd: ROOT,
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const browser = await launchBrowser();
  try {
    const reader = server.stdout.pipeThrough(new TextDecoderStream()).getReader();
    const { value: printed } = await reader.read();
    await reader.cancel();
    const pageUrl = printed!.trim();
    assertEquals(pageUrl, `http://127.0.0.1:${port}/examples/browser/`);

    const { page, pageErrors, consoleErrors } = await watchedPage(browser);
    await page.goto(pageUrl);
    await page.fill("#url", sup.url);
    await page.fill("#secret", SECRETS.user);
    await page.click("#go");
    await page.waitForSelector('#result:has-text("answer")', { timeout: 30_000 });
    assertEquals(JSON.parse((await page.textContent("#result"))!), { success: { answer: 42 } });
    assertEquals((await page.textContent("#log"))!.trim().split("\n"), [
      "[stdout] hello from the browser, line 1",
      "[stdout] hello from the browser, line 2",
      "[stdout] hello from the browser, line 3",
    ]);
    assertEquals(await page.evaluate(() => sessionStorage.getItem("hero-secret")), SECRETS.user);

    // A wrong secret is shown as a clear error, not swallowed.
    await page.fill("#secret", "wrong-secret");
    await page.click("#go");
    await page.waitForSelector("#result.error");
    assert(
      (await page.textContent("#result"))!.startsWith("UnauthenticatedError:"),
      (await page.textContent("#result"))!,
    );
    assertEquals(pageErrors, []);
    // The only console error allowed is the refused call's HTTP 401.
    assert(consoleErrors.every((e) => e.includes("401")), consoleErrors.join("\n"));
  } finally {
    await browser.close();
    server.kill("SIGTERM");
    await server.status;
  }
});
