/**
 * The dashboard's shell: sign-in, the tabs a secret may see, the pulse in the
 * top bar, the theme, and the router that renders a view per `#/path`.
 * Every call goes through the project's own client bundle.
 *
 * @module
 */

import { SupervisorClient } from "./client/hero-supervisor-client.js";
import { describe, fmt, h, poll, replace } from "./lib/dom.js";
import { renderAdmin } from "./views/admin.js";
import { renderEvents } from "./views/events.js";
import { renderJob, renderJobs } from "./views/jobs.js";
import { renderRun } from "./views/run.js";
import { renderRunners } from "./views/runners.js";
import { renderSchedules } from "./views/schedules.js";
import { renderStats } from "./views/stats.js";

const SECRET_KEY = "hero.secret";
const THEME_KEY = "hero.theme";

/**
 * What a view gets.
 *
 * @typedef {{
 *   client: SupervisorClient,
 *   identity: { kind: string, fingerprint: string, methods: string[] },
 *   can: (method: string) => boolean,
 *   signal: AbortSignal,
 *   query: URLSearchParams,
 *   navigate: (hash: string) => void,
 * }} ViewContext
 */

/**
 * The tabs, each shown only to a secret that may call its `needs` method.
 *
 * @type {{ path: string, label: string, needs: string, render: (main: HTMLElement, ctx: ViewContext, arg?: string) => void }[]}
 */
const TABS = [
  { path: "jobs", label: "Jobs", needs: "jobs.list", render: renderJobs },
  { path: "run", label: "Run script", needs: "jobs.create", render: renderRun },
  {
    path: "runners",
    label: "Runners",
    needs: "get_all_runner_status",
    render: renderRunners,
  },
  { path: "stats", label: "Stats", needs: "get_stats", render: renderStats },
  {
    path: "events",
    label: "Events",
    needs: "events.list",
    render: renderEvents,
  },
  { path: "admin", label: "Admin", needs: "list_secrets", render: renderAdmin },
  {
    path: "schedules",
    label: "Schedules",
    needs: "schedules.list",
    render: renderSchedules,
  },
];

const $ = (
  /** @type {string} */ id,
) => /** @type {HTMLElement} */ (document.getElementById(id));

/** @type {{ client: SupervisorClient, identity: ViewContext["identity"] } | null} */
let session = null;
/** @type {AbortController | null} */
let viewController = null;
/** @type {AbortController | null} */
let pulseController = null;

// --- Theme -----------------------------------------------------------------

function showThemeButton() {
  const dark = document.documentElement.dataset.theme === "dark";
  $("theme").textContent = dark ? "☀" : "☾";
  $("theme").setAttribute(
    "aria-label",
    dark ? "Switch to the light theme" : "Switch to the dark theme",
  );
}

$("theme").addEventListener("click", () => {
  const next = document.documentElement.dataset.theme === "dark" ? "light" : "dark";
  document.documentElement.dataset.theme = next;
  localStorage.setItem(THEME_KEY, next);
  showThemeButton();
});
showThemeButton();

// --- Sign-in ---------------------------------------------------------------

/**
 * A client whose fetch notices a secret that stops being accepted (removed,
 * say) and signs out instead of failing view after view.
 *
 * @param {string} secret
 */
function makeClient(secret) {
  // Only the signed-in client's refusals sign out (not those of a sign-in attempt).
  const refused = () => {
    if (session?.client === client) {
      signOut("Your secret is no longer accepted: sign in again.");
    }
  };
  /** @type {typeof fetch} */
  const watching = async (input, init) => {
    const res = await fetch(input, init);
    if (res.status === 401) refused();
    else if (String(input).endsWith("/rpc") && res.ok) {
      res.clone().json().then((body) => {
        const replies = Array.isArray(body) ? body : [body];
        if (replies.some((r) => r?.error?.code === -32001)) refused();
      }).catch(() => {});
    }
    return res;
  };
  const client = new SupervisorClient(location.origin, {
    secret,
    fetch: watching,
  });
  return client;
}

/** @param {string} secret */
async function signIn(secret) {
  const client = makeClient(secret);
  const identity = await client.whoami();
  sessionStorage.setItem(SECRET_KEY, secret);
  session = { client, identity };
  $("signin").hidden = true;
  $("shell").hidden = false;
  $("signout").title = `Signed in with a ${identity.kind} secret, ${identity.fingerprint}`;
  replace(
    $("tabs"),
    TABS.filter((t) => identity.methods.includes(t.needs)).map((t, i) =>
      h("a", {
        href: `#/${t.path}`,
        dataset: { tab: t.path },
        title: `${t.label} (Alt+${i + 1})`,
        text: t.label,
      })
    ),
  );
  startPulse();
  route();
}

/** @param {string} [message] */
function signOut(message) {
  if (!session && !message) return;
  session = null;
  sessionStorage.removeItem(SECRET_KEY);
  viewController?.abort();
  pulseController?.abort();
  replace($("main"));
  $("shell").hidden = true;
  $("signin").hidden = false;
  $("signin-error").textContent = message ?? "";
  /** @type {HTMLInputElement} */ ($("signin-secret")).value = "";
  $("signin-secret").focus();
}

$("signin-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = /** @type {HTMLInputElement} */ ($("signin-secret"));
  const button = /** @type {HTMLButtonElement} */ ($("signin-form").querySelector("button"));
  button.disabled = true;
  $("signin-error").textContent = "";
  try {
    await signIn(input.value.trim());
  } catch (error) {
    $("signin-error").textContent = /** @type {{ code?: number }} */ (error).code === -32001
      ? "This secret is not accepted."
      : describe(error);
  } finally {
    button.disabled = false;
  }
});

$("signout").addEventListener("click", () => signOut());

// --- Pulse: the top bar's numbers --------------------------------------------

function startPulse() {
  pulseController?.abort();
  pulseController = new AbortController();
  const { client, identity } = /** @type {NonNullable<typeof session>} */ (session);
  const can = (/** @type {string} */ m) => identity.methods.includes(m);
  // A register secret sees none of these numbers: nothing to poll.
  replace($("pulse"));
  if (
    !["get_stats", "get_all_runner_status", "get_supervisor_info"].some(can)
  ) return;
  poll(
    async () => {
      const [stats, runners, info] = await client.batch((api) => [
        can("get_stats") ? api.getStats({ minutes: 1 }) : Promise.resolve(null),
        can("get_all_runner_status") ? api.getAllRunnerStatus() : Promise.resolve(null),
        can("get_supervisor_info") ? api.getSupervisorInfo() : Promise.resolve(null),
      ]);
      /** @type {(string | Node)[]} */
      const items = [];
      const item = (
        /** @type {string} */ label,
        /** @type {string | number} */ value,
        /** @type {string} */ name,
      ) =>
        items.push(
          h(
            "span",
            { "data-pulse": name },
            label,
            " ",
            h("b", { text: String(value) }),
          ),
        );
      if (stats.status === "fulfilled" && stats.value) {
        const jobs = /** @type {any} */ (stats.value).jobs;
        item("running", jobs.running, "running");
        item("queued", jobs.queued, "queued");
      }
      if (runners.status === "fulfilled" && runners.value) {
        const list = /** @type {any[]} */ (runners.value);
        const busy = list.reduce((n, r) => n + r.busy, 0);
        const slots = list.reduce((n, r) => n + r.instances, 0);
        item("busy", `${busy}/${slots}`, "busy");
      }
      if (info.status === "fulfilled" && info.value) {
        const i = /** @type {any} */ (info.value);
        item("memory", fmt.bytes(i.memory_rss), "memory");
        item("up", fmt.uptime(i.uptime_s), "uptime");
      }
      replace($("pulse"), items);
    },
    3000,
    pulseController.signal,
  );
}

// --- Router ------------------------------------------------------------------

function route() {
  if (!session) return;
  const { client, identity } = session;
  const [path, search = ""] = location.hash.replace(/^#\/?/, "").split("?");
  const [section, ...rest] = path.split("/");
  const allowed = TABS.filter((t) => identity.methods.includes(t.needs));
  const tab = allowed.find((t) => t.path === section);
  if (!tab) {
    const first = allowed[0];
    if (first) location.replace(`#/${first.path}`);
    else {
      replace(
        $("main"),
        h("p", {
          class: "panel",
          text: "This secret may only register runners: there is nothing to show here.",
        }),
      );
    }
    return;
  }
  viewController?.abort();
  viewController = new AbortController();
  for (const a of $("tabs").querySelectorAll("a")) {
    if (a.dataset.tab === tab.path) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  /** @type {ViewContext} */
  const ctx = {
    client,
    identity,
    can: (method) => identity.methods.includes(method),
    signal: viewController.signal,
    query: new URLSearchParams(search),
    navigate: (hash) => {
      location.hash = hash;
    },
  };
  const main = $("main");
  replace(main);
  const arg = rest.length ? decodeURIComponent(rest.join("/")) : undefined;
  const render = tab.path === "jobs" && arg ? renderJob : tab.render;
  document.title = `${arg ?? tab.label} · Hero Supervisor`;
  render(main, ctx, arg);
}

addEventListener("hashchange", () => {
  route();
  $("main").focus({ preventScroll: true });
});

// Alt+1…6 switch tabs.
addEventListener("keydown", (event) => {
  if (!session || !event.altKey || event.ctrlKey || event.metaKey) return;
  const n = Number(event.key);
  const links = $("tabs").querySelectorAll("a");
  if (n >= 1 && n <= links.length) {
    event.preventDefault();
    location.hash = /** @type {HTMLAnchorElement} */ (links[n - 1]).getAttribute("href") ??
      "";
  }
});

// --- Start -------------------------------------------------------------------

const saved = sessionStorage.getItem(SECRET_KEY);
if (saved) {
  signIn(saved).catch((error) => signOut(describe(error)));
} else {
  signOut();
  $("signin").hidden = false;
}
