/// <reference lib="dom" />
/**
 * The dashboard end to end, in real headless Chromium against a live
 * supervisor: sign-in, live output of a slow script, stopping a long job,
 * scaling a runner, adding and removing a secret, what a user secret sees,
 * themes, keyboard and phone width. Screenshots of every tab go to
 * `test-output/dashboard/`. Any console error fails the test.
 *
 * @module
 */

import type { Page } from "playwright-core";
import { assert, assertEquals } from "../_helpers/assert.ts";
import { launchBrowser, watchedPage } from "../_helpers/browser.ts";
import { ROOT } from "../_helpers/command.ts";
import { RpcCaller } from "../_helpers/rpc.ts";
import { SECRETS, startSupervisor } from "../_helpers/supervisor.ts";

const SHOTS = `${ROOT}test-output/dashboard`;
const TABS = ["jobs", "run", "runners", "stats", "events", "admin", "schedules"];

async function signIn(page: Page, url: string, secret: string): Promise<void> {
  await page.goto(`${url}/`);
  await page.fill("#signin-secret", secret);
  await page.click("#signin-form button[type=submit]");
  await page.waitForSelector("#tabs a");
}

/** The tab labels a signed-in page shows. */
function tabLabels(page: Page): Promise<string[]> {
  return page.locator("#tabs a").allTextContents();
}

Deno.test("dashboard: sign in, live logs, stop, scale, secrets, scopes, themes", async (t) => {
  await Deno.mkdir(SHOTS, { recursive: true });
  await using sup = await startSupervisor({
    runners: [
      { name: "default", kind: "script", instances: 2 },
      {
        // A service whose check never passes: its card says why it is down.
        name: "web",
        kind: "service",
        binary_path: "/bin/sleep",
        args: ["600"],
        check: { test: "exit 7", interval: 0.2, retries: 1, start_period: 0.3 },
        max_restarts: 1,
        restart_delay: 0.1,
      },
    ],
  });
  const admin = sup.admin;
  const browser = await launchBrowser();
  const { page, pageErrors, consoleErrors } = await watchedPage(browser, {
    viewport: { width: 1280, height: 900 },
  });
  page.on("dialog", (dialog) => dialog.accept());
  try {
    await t.step(
      "served at GET /, with a strict content security policy",
      async () => {
        const res = await fetch(`${sup.url}/`);
        assertEquals(res.status, 200);
        assert(
          res.headers.get("content-security-policy")!.includes(
            "script-src 'self'",
          ),
        );
        assert((await res.text()).includes('src="/ui/app.js"'));
        const bundle = await fetch(
          `${sup.url}/ui/client/hero-supervisor-client.js`,
        );
        assertEquals(bundle.status, 200);
        assert((await bundle.text()).includes("SupervisorClient"));
        const hidden = await fetch(`${sup.url}/ui/../deno.json`);
        assertEquals(hidden.status, 404);
        await hidden.body?.cancel();
      },
    );

    await t.step("a wrong secret is refused on the sign-in form", async () => {
      await page.goto(`${sup.url}/`);
      await page.fill("#signin-secret", "not-the-secret");
      await page.click("#signin-form button[type=submit]");
      await page.waitForSelector("#signin-error:has-text('not accepted')");
      assert(await page.isHidden("#shell"));
      await page.screenshot({ path: `${SHOTS}/signin.png` });
    });

    await t.step(
      "an admin secret signs in; the secret stays in sessionStorage only",
      async () => {
        await signIn(page, sup.url, SECRETS.admin);
        assertEquals(await tabLabels(page), [
          "Jobs",
          "Run script",
          "Runners",
          "Stats",
          "Events",
          "Admin",
          "Schedules",
        ]);
        assertEquals(
          await page.evaluate(() => sessionStorage.getItem("hero.secret")),
          SECRETS.admin,
        );
        assert(!page.url().includes(SECRETS.admin), "never in a URL");
        assertEquals(
          await page.evaluate(() => JSON.stringify(localStorage)).then((s) =>
            s.includes(SECRETS.admin)
          ),
          false,
        );
      },
    );

    await t.step(
      "run script: 5 slow lines appear live, before the job ends",
      async () => {
        await page.goto(`${sup.url}/#/run`);
        await page.fill(
          "[data-testid=payload]",
          [
            "for (let i = 1; i <= 5; i++) {",
            "  console.log(`slow line ${i}`);",
            "  await new Promise((r) => setTimeout(r, 400));",
            "}",
            "export default 'five lines';",
          ].join("\n"),
        );
        await page.click("form[aria-label='Run a script'] button[type=submit]");
        // The first line shows while the job still runs.
        await page.waitForSelector("[data-testid=log]:has-text('slow line 1')");
        const jobId = (await page.locator("a:has-text('Open ')").textContent())!
          .replace("Open ", "");
        const status = await admin.call<{ status: string }>("job.status", {
          job_id: jobId,
        });
        const shown = await page.locator("[data-testid=log] .l-stdout").count();
        assertEquals(
          status.status,
          "running",
          "the lines came before the job ended",
        );
        assert(shown >= 1 && shown < 5, `${shown} lines shown while running`);
        await page.waitForSelector(
          "[data-testid=run-result]:has-text('five lines')",
        );
        assertEquals(
          await page.locator("[data-testid=log] .l-stdout").allTextContents(),
          [1, 2, 3, 4, 5].map((i) => `${i} slow line ${i}\n`),
        );
        await page.screenshot({ path: `${SHOTS}/run.png`, fullPage: true });
      },
    );

    await t.step(
      "a schedule is made, paused and run from its tab; scheduled jobs filter",
      async () => {
        await page.goto(`${sup.url}/#/schedules`);
        await page.click("summary:has-text('New schedule')");
        await page.fill("form >> text=Name >> xpath=.. >> input", "tidy-up");
        await page.click("button:has-text('Create')");
        const row = page.locator("tr[data-schedule='tidy-up']");
        await row.locator(".badge:has-text('active')").waitFor();
        await row.locator("button:has-text('Pause')").click();
        await row.locator(".badge:has-text('paused')").waitFor();
        await row.locator("button:has-text('Run now')").click();
        await row.locator("a[href^='#/jobs/tidy-up%40manual-']").waitFor();
        const later = await admin.call<string>("queue_job_to_runner", {
          runner: "default",
          job: { payload: "export default 1", delay: 3600 },
        });
        await page.goto(`${sup.url}/#/jobs?status=scheduled`);
        await page.waitForSelector(`table[aria-label=Jobs] tbody tr .badge.s-scheduled`);
        const rows = await page.locator("table[aria-label=Jobs] tbody tr").count();
        assertEquals(rows, 1);
        await admin.call("job.delete", { job_id: later });
        await admin.call("schedules.delete", { name: "tidy-up" });
      },
    );

    await t.step("a long job is stopped from its page", async () => {
      const jobId = await admin.call<string>("jobs.create", {
        job: {
          runner: "default",
          payload: "await new Promise((r) => setTimeout(r, 60_000));",
        },
      });
      await admin.call("job.start", { job_id: jobId });
      await page.goto(`${sup.url}/#/jobs/${jobId}`);
      await page.waitForSelector(".badge.s-running");
      await page.click("button:has-text('Stop')");
      await page.waitForSelector(".badge.s-stopped", { timeout: 15_000 });
      const status = await admin.call<{ status: string }>("job.status", {
        job_id: jobId,
      });
      assertEquals(status.status, "stopped");
      await page.waitForSelector(
        "ol.timeline li:has-text('finished (stopped)')",
      );
      await page.screenshot({ path: `${SHOTS}/job.png`, fullPage: true });
    });

    await t.step("the jobs list filters by status", async () => {
      await page.goto(`${sup.url}/#/jobs`);
      await page.selectOption("select[name=status]", "stopped");
      await page.click("form[role=search] button[type=submit]");
      await page.waitForFunction(() => location.hash === "#/jobs?status=stopped");
      // The list is drawn again for the filter: wait until the filtered one is there (a badge
      // of the unfiltered list may still be on the page just after the hash changed).
      await page.waitForFunction(() => {
        const badges = document.querySelectorAll("table[aria-label=Jobs] tbody .badge");
        return badges.length > 0 && [...badges].every((b) => b.textContent === "stopped");
      }).catch(() => {});
      const badges = await page.locator("table[aria-label=Jobs] tbody .badge")
        .allTextContents();
      assertEquals(badges, ["stopped"]);
      await page.goto(`${sup.url}/#/jobs`);
      await page.waitForSelector(
        "table[aria-label=Jobs] tbody tr .badge.s-completed",
      );
      await page.screenshot({ path: `${SHOTS}/jobs.png`, fullPage: true });
    });

    await t.step("a runner is scaled from the runners tab", async () => {
      await page.goto(`${sup.url}/#/runners`);
      const card = page.locator("article[data-runner=default]");
      await card.locator("[data-fact=Instances]:has-text('2 (')").waitFor();
      await card.locator("[data-part=scale]").fill("3");
      await card.locator("button:has-text('Scale')").click();
      await card.locator("[data-fact=Instances]:has-text('3 (')").waitFor();
      const status = await admin.call<{ instances: number }>(
        "get_runner_status",
        {
          name: "default",
        },
      );
      assertEquals(status.instances, 3);
      await card.locator("summary:has-text('Runner log')").click();
      await card.locator("[data-part=logs]:not(:empty)").waitFor();
      await page.screenshot({ path: `${SHOTS}/runners.png`, fullPage: true });
    });

    await t.step(
      "a service's card shows its checks and its last failure",
      async () => {
        await page.goto(`${sup.url}/#/runners`);
        const card = page.locator("article[data-runner=web]");
        await card.locator(".badge:has-text('quarantined')").waitFor();
        await card.locator("[data-fact=Checks]:has-text('failing')").waitFor();
        const checks = await card.locator("[data-fact=Checks]").textContent();
        assert(checks!.includes("test: exit 7"), checks!);
        const failure = await card.locator("[data-fact='Last failure']")
          .textContent();
        assert(/exited with code 7/.test(failure!), failure!);
        assertEquals(
          await card.locator("[data-fact=Queued]").count(),
          0,
          "a service takes no jobs",
        );
        assertEquals(await card.locator("button:has-text('Pause')").count(), 0);
      },
    );

    await t.step("the cluster's members are listed, this supervisor among them", async () => {
      const row = page.locator("table[aria-label='Cluster members'] tbody tr");
      await row.first().waitFor();
      assertEquals(await row.count(), 1);
      const text = await row.first().textContent();
      assert(text!.includes("(this one)") && text!.includes("supervisor"), text!);
      assert(text!.includes("default, web"), text!);
      await row.locator(".badge.s-up").waitFor();
    });

    await t.step(
      "a secret is added, works, and is removed from the admin tab",
      async () => {
        await page.goto(`${sup.url}/#/admin`);
        await page.waitForSelector("table[aria-label=Secrets] tbody tr");
        const before = await page.locator("table[aria-label=Secrets] tbody tr")
          .count();
        const value = `dashboard-secret-${crypto.randomUUID()}`;
        await page.selectOption("select[name=kind]", "user");
        await page.fill("input[name=value]", value);
        await page.click("button:has-text('Add secret')");
        await page.waitForFunction(
          (n) =>
            document.querySelectorAll("table[aria-label=Secrets] tbody tr")
              .length === n,
          before + 1,
        );
        const added = new RpcCaller(sup.url, value);
        assert(
          Array.isArray(await added.call("jobs.list")),
          "the new secret works",
        );
        const listed = await admin.call<
          { fingerprint: string; source: string }[]
        >("list_secrets");
        const fingerprint = listed.find((s) => s.source === "api")!.fingerprint;
        await page.screenshot({ path: `${SHOTS}/admin.png`, fullPage: true });
        await page.click(
          `tr[data-fingerprint='${fingerprint}'] button:has-text('Remove')`,
        );
        await page.waitForFunction(
          (n) =>
            document.querySelectorAll("table[aria-label=Secrets] tbody tr")
              .length === n,
          before,
        );
        assertEquals((await added.error("jobs.list")).code, -32001);
      },
    );

    await t.step("stats and events show what happened", async () => {
      await page.goto(`${sup.url}/#/stats`);
      await page.waitForSelector("[data-stat=completed] .value");
      assertEquals(await page.textContent("[data-stat=stopped] .value"), "1");
      assert(
        await page.locator("svg.chart rect.f-completed").count() >= 1,
        "a bar for the jobs",
      );
      await page.screenshot({ path: `${SHOTS}/stats.png`, fullPage: true });
      await page.goto(`${sup.url}/#/events`);
      await page.waitForSelector("table.events tr[data-type='runner.scaled']");
      await page.waitForSelector("table.events tr[data-type='secret.removed']");
      await page.screenshot({ path: `${SHOTS}/events.png`, fullPage: true });
    });

    await t.step(
      "keyboard: Alt+number switches tabs; links are focusable",
      async () => {
        await page.goto(`${sup.url}/#/jobs`);
        await page.keyboard.press("Alt+2");
        await page.waitForFunction(() => location.hash === "#/run");
        // The tab bar follows the hash change a moment later.
        await page.waitForSelector('#tabs a[aria-current=page][href="#/run"]');
        assertEquals(
          await page.getAttribute("#tabs a[aria-current=page]", "href"),
          "#/run",
        );
        await page.focus("#tabs a[data-tab=runners]");
        await page.keyboard.press("Enter");
        await page.waitForFunction(() => location.hash === "#/runners");
      },
    );

    await t.step(
      "dark theme, and a phone-width screen without sideways scrolling",
      async () => {
        const before = await page.getAttribute("html", "data-theme");
        await page.click("#theme");
        const after = await page.getAttribute("html", "data-theme");
        assert(before !== after && ["light", "dark"].includes(after!));
        await page.setViewportSize({ width: 390, height: 844 });
        for (const tab of TABS) {
          await page.goto(`${sup.url}/#/${tab}`);
          await page.waitForTimeout(300);
          const overflow = await page.evaluate(() =>
            document.documentElement.scrollWidth -
            document.documentElement.clientWidth
          );
          assert(
            overflow <= 0,
            `#/${tab} scrolls sideways by ${overflow}px at 390px`,
          );
          await page.screenshot({
            path: `${SHOTS}/${tab}-phone-${after}.png`,
            fullPage: true,
          });
        }
        await page.setViewportSize({ width: 1280, height: 900 });
      },
    );

    await t.step(
      "axe-core: no serious or critical violation on any view, 1280 and 390 px, light and dark",
      async () => {
        // axe runs inside the page (page.evaluate is not held to the dashboard's CSP).
        const axe = await Deno.readTextFile(
          `${ROOT}node_modules/axe-core/axe.min.js`,
        );
        const found: string[] = [];
        for (const theme of ["light", "dark"]) {
          if (await page.getAttribute("html", "data-theme") !== theme) {
            await page.click("#theme");
          }
          for (const width of [1280, 390]) {
            await page.setViewportSize({ width, height: 900 });
            for (const tab of TABS) {
              await page.goto(`${sup.url}/#/${tab}`);
              await page.waitForSelector(
                `#tabs a[aria-current=page][href="#/${tab}"]`,
              );
              await page.waitForLoadState("networkidle");
              await page.evaluate(axe);
              const violations = await page.evaluate(async () => {
                // deno-lint-ignore no-explicit-any
                const { axe } = globalThis as any;
                const result = await axe.run(document, {
                  resultTypes: ["violations"],
                });
                return (result.violations as {
                  id: string;
                  impact: string;
                  nodes: unknown[];
                }[])
                  .filter((v) => v.impact === "serious" || v.impact === "critical")
                  .map((v) => `${v.impact} ${v.id} (${v.nodes.length})`);
              });
              // No value cut off either (a card that cannot show what it holds).
              const cut = await page.evaluate(() =>
                [...document.querySelectorAll(".card .value")]
                  .filter((e) => e.scrollWidth > e.clientWidth + 1)
                  .map((e) => e.textContent)
              );
              for (const v of violations) {
                found.push(`${theme} ${width}px #/${tab}: ${v}`);
              }
              for (const v of cut) {
                found.push(`${theme} ${width}px #/${tab}: ${v} is cut off`);
              }
            }
          }
        }
        await page.setViewportSize({ width: 1280, height: 900 });
        assertEquals(found, []);
      },
    );

    await t.step(
      "a user secret sees the job tabs only; admin parts are hidden",
      async () => {
        await page.click("#signout");
        await page.waitForSelector("#signin:not([hidden])");
        assertEquals(
          await page.evaluate(() => sessionStorage.getItem("hero.secret")),
          null,
        );
        await signIn(page, sup.url, SECRETS.user);
        assertEquals(await tabLabels(page), ["Jobs", "Run script", "Stats", "Schedules"]);
        await page.goto(`${sup.url}/#/admin`);
        await page.waitForFunction(() => location.hash === "#/jobs");
        await page.goto(`${sup.url}/#/stats`);
        await page.waitForSelector("[data-stat=completed] .value");
        assertEquals(
          await page.locator("section h3:has-text('Supervisor')").count(),
          0,
        );
        assertEquals(await page.locator("[data-pulse=memory]").count(), 0);
        await page.goto(`${sup.url}/#/run`);
        assertEquals(
          await page.locator("input[name=runner]").count(),
          1,
          "a runner name field",
        );
      },
    );

    await t.step(
      "a register secret is told there is nothing for it to see",
      async () => {
        await page.click("#signout");
        await page.fill("#signin-secret", SECRETS.register);
        await page.click("#signin-form button[type=submit]");
        await page.waitForSelector(
          "main:has-text('may only register runners')",
        );
        assertEquals(await tabLabels(page), []);
        assertEquals(await page.textContent("#pulse"), "");
      },
    );

    assertEquals(pageErrors, [], "uncaught errors");
    assertEquals(consoleErrors, [], "console errors");
  } finally {
    await browser.close();
  }
});
