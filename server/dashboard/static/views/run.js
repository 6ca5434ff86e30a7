/**
 * Run script: write a script, pick a runner, set a timeout and environment,
 * run it, and watch its output live, then its result.
 *
 * @module
 */

import { describe, field, h, headingRow, replace } from "../lib/dom.js";
import { logView } from "../lib/log_view.js";

const DRAFT_KEY = "hero.run.draft";
const EXAMPLE = `// An ES module: what it prints is the log; its default export is the result.
for (let i = 1; i <= 5; i++) {
  console.log(\`step \${i} of 5\`);
  await new Promise((resolve) => setTimeout(resolve, 300));
}

export default ({ job }) => ({ job: job.id, answer: 6 * 7 });
`;

/** @typedef {import("../app.js").ViewContext} ViewContext */

/**
 * Parses `KEY=VALUE` lines; throws on a malformed one, naming its line.
 *
 * @param {string} text
 * @returns {Record<string, string>}
 */
function parseEnv(text) {
  /** @type {Record<string, string>} */
  const env = {};
  text.split("\n").forEach((line, i) => {
    if (!line.trim() || line.trim().startsWith("#")) return;
    const eq = line.indexOf("=");
    const key = eq < 0 ? line.trim() : line.slice(0, eq).trim();
    if (eq < 0 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
      throw new Error(
        `Environment, line ${i + 1}: write NAME=value (a name of letters, digits and _)`,
      );
    }
    env[key] = line.slice(eq + 1);
  });
  return env;
}

/**
 * @param {HTMLElement} main
 * @param {ViewContext} ctx
 */
export function renderRun(main, ctx) {
  const { client, signal } = ctx;
  const draft = JSON.parse(sessionStorage.getItem(DRAFT_KEY) ?? "null") ?? {};

  const runner = ctx.can("list_runners")
    ? h(
      "select",
      { name: "runner" },
      h("option", {
        value: draft.runner ?? "default",
        text: draft.runner ?? "default",
      }),
    )
    : h("input", {
      name: "runner",
      value: draft.runner ?? "default",
      required: true,
    });
  const timeout = h("input", {
    name: "timeout",
    type: "number",
    min: "1",
    max: "604800",
    placeholder: "runner's",
    value: draft.timeout ?? "",
  });
  const env = h("textarea", {
    name: "env",
    class: "code",
    rows: "3",
    placeholder: "NAME=value, one per line",
    "aria-label": "Environment variables",
  });
  env.classList.add("env");
  /** @type {HTMLTextAreaElement} */ (env).value = draft.env ?? "";
  const payload = h("textarea", {
    name: "payload",
    class: "code",
    spellcheck: "false",
    "aria-label": "Script",
    "data-testid": "payload",
  });
  /** @type {HTMLTextAreaElement} */ (payload).value = draft.payload ?? EXAMPLE;
  const runButton = h("button", {
    type: "submit",
    class: "primary",
    text: "Run",
    title: "Run (Ctrl+Enter)",
  });
  const error = h("p", { class: "error", role: "alert" });
  const output = h("div", { class: "stack" });

  if (ctx.can("list_runners")) {
    client.listRunners({ signal }).then((names) => {
      const current = /** @type {HTMLSelectElement} */ (runner).value;
      replace(runner, names.map((n) => h("option", { value: n, text: n })));
      /** @type {HTMLSelectElement} */ (runner).value = names.includes(current)
        ? current
        : names[0] ?? "";
    }).catch(() => {});
  }

  // Tab indents in the editor; Ctrl/Cmd+Enter runs. (Escape, then Tab, leaves it.)
  let escaped = false;
  payload.addEventListener("keydown", (event) => {
    const area = /** @type {HTMLTextAreaElement} */ (payload);
    if (event.key === "Escape") escaped = true;
    else if (event.key === "Tab" && !event.shiftKey && !escaped) {
      event.preventDefault();
      area.setRangeText("  ", area.selectionStart, area.selectionEnd, "end");
    } else if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.requestSubmit();
    } else escaped = false;
  });

  const form = /** @type {HTMLFormElement} */ (h(
    "form",
    { class: "panel stack", "aria-label": "Run a script" },
    h(
      "div",
      { class: "row" },
      field("Runner", runner),
      field("Timeout (s)", timeout),
    ),
    field("Script", payload),
    field("Environment", env),
    h(
      "div",
      { class: "row center" },
      runButton,
      h("span", { class: "muted", text: "Ctrl+Enter runs" }),
    ),
    error,
  ));

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    const values = {
      runner: /** @type {HTMLInputElement} */ (runner).value,
      timeout: /** @type {HTMLInputElement} */ (timeout).value,
      env: /** @type {HTMLTextAreaElement} */ (env).value,
      payload: /** @type {HTMLTextAreaElement} */ (payload).value,
    };
    sessionStorage.setItem(DRAFT_KEY, JSON.stringify(values));
    /** @type {Record<string, unknown>} */
    const job = {
      runner: values.runner,
      payload: values.payload,
      caller_id: "dashboard",
    };
    try {
      const envVars = parseEnv(values.env);
      if (Object.keys(envVars).length) job.env_vars = envVars;
      if (values.timeout) job.timeout = Number(values.timeout);
      runButton.setAttribute("disabled", "");
      const jobId = await client.jobs.create({ job: /** @type {any} */ (job) });
      await client.job.start({ job_id: jobId });
      const result = h("pre", {
        class: "block",
        "data-testid": "run-result",
        text: "running…",
      });
      replace(
        output,
        h(
          "div",
          { class: "panel" },
          headingRow(
            "h3",
            "Output",
            h("a", {
              href: `#/jobs/${encodeURIComponent(jobId)}`,
              text: `Open ${jobId}`,
            }),
          ),
          logView({
            client,
            jobId,
            signal,
            onEnd: async () => {
              try {
                const outcome = await client.job.result({ job_id: jobId }, {
                  signal,
                });
                result.textContent = JSON.stringify(outcome, null, 2);
                result.classList.toggle("error", "error" in outcome);
              } catch (e) {
                if (!signal.aborted) result.textContent = describe(e);
              }
            },
          }),
        ),
        h("div", { class: "panel" }, h("h3", { text: "Result" }), result),
      );
    } catch (e) {
      error.textContent = describe(e);
    } finally {
      runButton.removeAttribute("disabled");
    }
  });

  replace(
    main,
    h("div", { class: "stack" }, h("h2", { text: "Run script" }), form, output),
  );
}
