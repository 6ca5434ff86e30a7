/**
 * Real headless Chromium for browser tests: Debian's `/usr/bin/chromium`,
 * driven by `playwright-core` (which never downloads a browser of its own).
 *
 * @module
 */

import { type Browser, chromium, type Page } from "playwright-core";

/** Where Debian installs Chromium (`tests/ensure_deps.sh` installs it when missing). */
export const CHROMIUM = "/usr/bin/chromium";

/** A page and what went wrong on it: uncaught errors and console errors. */
export interface WatchedPage {
  page: Page;
  /** Uncaught exceptions and unhandled rejections of the page. */
  pageErrors: string[];
  /** `console.error` messages, including failed resource loads. */
  consoleErrors: string[];
}

/** Launches Chromium headless, without its sandbox (tests may run as root). */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--headless"],
  });
}

/** A new page that records its errors. */
export async function watchedPage(
  browser: Browser,
  options: Parameters<Browser["newPage"]>[0] = {},
): Promise<WatchedPage> {
  const page = await browser.newPage(options);
  const watched: WatchedPage = { page, pageErrors: [], consoleErrors: [] };
  page.on("pageerror", (error) => watched.pageErrors.push(String(error?.stack ?? error)));
  page.on("console", (message) => {
    if (message.type() === "error") watched.consoleErrors.push(message.text());
  });
  return watched;
}
