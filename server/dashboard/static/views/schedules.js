/**
 * Schedules: each cron schedule with its next tick and its last runs;
 * pause, resume, run now, delete; and making a new one.
 *
 * @module
 */

import {
  act,
  badge,
  describe,
  field,
  fmt,
  h,
  poll,
  replace,
  scrollArea,
  table,
  toast,
} from "../lib/dom.js";

/** @typedef {import("../app.js").ViewContext} ViewContext */

/** A run in words: its job (a link) or why none. @param {any} run */
function runCell(run) {
  return run.job_id
    ? h("a", { href: `#/jobs/${encodeURIComponent(run.job_id)}`, text: fmt.time(run.tick) })
    : h("span", { class: "muted", title: run.skipped, text: `${fmt.time(run.tick)} (skipped)` });
}

/**
 * @param {HTMLElement} main
 * @param {ViewContext} ctx
 */
export function renderSchedules(main, ctx) {
  const { client, signal } = ctx;
  const body = h("tbody");
  const error = h("p", { class: "error", role: "alert" });
  replace(
    main,
    h(
      "div",
      { class: "stack" },
      h("h2", { text: "Schedules" }),
      error,
      h(
        "section",
        { class: "panel stack" },
        scrollArea(
          "Schedules table",
          "",
          table(
            { "aria-label": "Schedules" },
            ["Name", "When", "State", "Next run", ["Last runs", "hide-narrow"], [
              "Actions",
              "sr-only-text",
            ]],
            body,
          ),
        ),
      ),
      ctx.can("schedules.create") ? createForm(ctx, () => load()) : null,
    ),
  );

  /** @param {any} s */
  const row = (s) => {
    const name = s.name;
    /** @type {[string, string, boolean, () => Promise<unknown>, string?][]} */
    const buttons = [
      ["schedules.pause", "Pause", !s.paused, () => client.schedules.pause({ name })],
      ["schedules.resume", "Resume", s.paused, () => client.schedules.resume({ name })],
      ["schedules.trigger", "Run now", true, () => client.schedules.trigger({ name })],
      ["schedules.delete", "Delete", true, () => client.schedules.delete({ name }), "danger"],
    ];
    return h(
      "tr",
      { dataset: { schedule: name } },
      h("td", {}, h("strong", { text: name })),
      h("td", {}, h("code", { text: s.cron }), ` ${s.timezone}`),
      h("td", {}, badge(s.paused ? "paused" : "active", s.paused ? "" : "-runner")),
      h("td", { text: s.next_run_at ? fmt.time(s.next_run_at) : "—" }),
      h(
        "td",
        { class: "hide-narrow" },
        s.runs.length
          ? s.runs.slice(0, 3).flatMap((/** @type {any} */ r) => [runCell(r), " "])
          : "—",
      ),
      h(
        "td",
        { class: "actions" },
        buttons.filter(([method, , shown]) => shown && ctx.can(method)).map((
          [, label, , call, kind],
        ) =>
          h("button", {
            type: "button",
            class: kind ?? "",
            text: label,
            "aria-label": `${label} ${name}`,
            onclick: () => {
              if (label === "Delete" && !confirm(`Delete schedule ${name}?`)) return;
              act(`${label}: ${name}`, call, load);
            },
          })
        ),
      ),
    );
  };

  const load = async () => {
    try {
      const all = await client.schedules.list({ signal });
      error.textContent = "";
      replace(
        body,
        all.length
          ? all.map(row)
          : h("tr", {}, h("td", { colspan: "6", class: "muted", text: "No schedules." })),
      );
    } catch (e) {
      if (!signal.aborted) error.textContent = describe(e);
    }
  };
  poll(load, 2000, signal);
}

/**
 * Making a schedule: its name, expression, zone and job.
 * @param {ViewContext} ctx @param {() => void} done
 */
function createForm(ctx, done) {
  const name = h("input", { required: "", pattern: "[A-Za-z0-9_.\\-]{1,64}", value: "" });
  const cron = h("input", { required: "", value: "0 * * * *", spellcheck: "false" });
  const timezone = h("input", {
    value: Intl.DateTimeFormat().resolvedOptions().timeZone ?? "UTC",
  });
  const runner = h("input", { required: "", value: "default" });
  const overlap = h(
    "select",
    {},
    ["skip", "queue", "allow"].map((v) => h("option", { value: v, text: v })),
  );
  const payload = h("textarea", {
    class: "code",
    rows: "5",
    spellcheck: "false",
  });
  /** @type {HTMLTextAreaElement} */ (payload).value =
    "export default () => new Date().toISOString();";
  const error = h("p", { class: "error", role: "alert" });
  const form = h(
    "form",
    { class: "stack" },
    field("Name", name),
    field("Cron (5 fields, or 6 with seconds first)", cron),
    field("Time zone", timezone),
    field("Runner", runner),
    field("If the last run is still going", overlap),
    field("Payload", payload),
    h("div", { class: "row" }, h("button", { type: "submit", class: "primary", text: "Create" })),
    error,
  );
  /** @param {HTMLElement} el */
  const value = (el) => /** @type {HTMLInputElement} */ (el).value;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    try {
      await ctx.client.schedules.create({
        schedule: {
          name: value(name),
          cron: value(cron),
          timezone: value(timezone),
          overlap: /** @type {"skip" | "queue" | "allow"} */ (value(overlap)),
          job: { runner: value(runner), payload: value(payload) },
        },
      });
      toast(`Created ${value(name)}`);
      done();
    } catch (e) {
      error.textContent = describe(e);
    }
  });
  return h(
    "details",
    { class: "panel" },
    h("summary", {}, h("strong", { text: "New schedule" })),
    form,
  );
}
