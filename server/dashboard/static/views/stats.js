/**
 * Stats: jobs per status, throughput and run times over the last minutes,
 * queue depths, and the supervisor's memory and uptime.
 *
 * @module
 */

import { lines, stackedBars } from "../lib/chart.js";
import { describe, field, fmt, h, headingRow, poll, replace, table } from "../lib/dom.js";

/** @typedef {import("../app.js").ViewContext} ViewContext */

const STATUSES = [
  "created",
  "queued",
  "running",
  "completed",
  "failed",
  "stopped",
  "timeout",
  "total",
];
const ENDINGS = ["completed", "failed", "stopped", "timeout"];

/** @param {string} label @param {string | number} value @param {string} [name] */
const card = (label, value, name) =>
  h(
    "div",
    { class: "card", dataset: name ? { stat: name } : {} },
    h("div", { class: "value", text: String(value) }),
    h("div", { class: "label", text: label }),
  );

/** A chart's key. @param {string[]} keys */
const legend = (keys) =>
  h(
    "div",
    { class: "legend" },
    keys.map((k) => h("span", {}, h("i", { class: `c-${k}` }), k)),
  );

/**
 * @param {HTMLElement} main
 * @param {ViewContext} ctx
 */
export function renderStats(main, ctx) {
  const { client, signal } = ctx;
  const minutes = Number(ctx.query.get("minutes") ?? 15);
  const windowSelect = h(
    "select",
    { "aria-label": "Window" },
    [5, 15, 30, 60].map((m) =>
      h("option", { value: m, text: `last ${m} min`, selected: m === minutes })
    ),
  );
  windowSelect.addEventListener(
    "change",
    () =>
      ctx.navigate(
        `#/stats?minutes=${/** @type {HTMLSelectElement} */ (windowSelect).value}`,
      ),
  );

  // A labelled group: a bare div may not carry a label (axe: aria-prohibited-attr while empty).
  const counts = h("div", { class: "cards", role: "group", "aria-label": "Jobs by status" });
  const throughputSummary = h("span", { class: "muted" });
  const throughput = h("div");
  const latencySummary = h("span", { class: "muted" });
  const latency = h("div");
  const queues = h("tbody");
  const supervisor = h("div", { class: "cards" });
  const error = h("p", { class: "error", role: "alert" });

  replace(
    main,
    h(
      "div",
      { class: "stack" },
      headingRow("h2", "Stats", field("Window", windowSelect)),
      error,
      counts,
      h(
        "div",
        { class: "grid-2" },
        h(
          "section",
          { class: "panel" },
          headingRow("h3", "Jobs ended per 10 s", throughputSummary),
          throughput,
          legend(ENDINGS),
        ),
        h(
          "section",
          { class: "panel" },
          headingRow("h3", "Run time", latencySummary),
          latency,
          legend(["p50", "p95"]),
        ),
      ),
      h(
        "div",
        { class: "grid-2" },
        h(
          "section",
          { class: "panel" },
          h("h3", { text: "Queues" }),
          table({}, ["Runner", ["Queued", "num"]], queues),
        ),
        ctx.can("get_supervisor_info")
          ? h(
            "section",
            { class: "panel" },
            h("h3", { text: "Supervisor" }),
            supervisor,
          )
          : null,
      ),
    ),
  );

  const load = async () => {
    try {
      const stats = await client.getStats({ minutes }, { signal });
      error.textContent = "";
      replace(
        counts,
        STATUSES.map((s) => card(s, /** @type {any} */ (stats.jobs)[s], s)),
      );

      const ended = stats.buckets.reduce(
        (n, b) => n + b.completed + b.failed + b.stopped + b.timeout,
        0,
      );
      throughputSummary.textContent = `${ended} in ${minutes} min · ${
        (ended / minutes).toFixed(1)
      }/min`;
      replace(
        throughput,
        stackedBars(
          /** @type {any} */ (stats.buckets),
          ENDINGS,
          `Jobs ended per ${stats.bucket_s} s over the last ${minutes} minutes`,
        ),
      );

      const timed = stats.buckets.map((b) => ({
        start: b.start,
        p50: b.run_p50_ms,
        p95: b.run_p95_ms,
      }));
      const recent = timed.filter((b) => b.p50 !== undefined).at(-1);
      latencySummary.textContent = recent
        ? `latest p50 ${fmt.duration(recent.p50)} · p95 ${fmt.duration(recent.p95)}`
        : "no jobs ended";
      replace(
        latency,
        lines(
          timed,
          ["p50", "p95"],
          `Run time percentiles over the last ${minutes} minutes`,
          (v) => fmt.duration(v),
        ),
      );

      const depths = Object.entries(stats.queued);
      replace(
        queues,
        depths.length
          ? depths.map(([runner, n]) =>
            h(
              "tr",
              {},
              h("td", { text: runner }),
              h("td", { class: "num", text: n }),
            )
          )
          : h(
            "tr",
            {},
            h("td", { colspan: "2", class: "muted", text: "No queues." }),
          ),
      );

      if (ctx.can("get_supervisor_info")) {
        const info = await client.getSupervisorInfo({ signal });
        replace(
          supervisor,
          card("memory (RSS)", fmt.bytes(info.memory_rss), "memory"),
          card("uptime", fmt.uptime(info.uptime_s), "uptime"),
          card("store", info.store),
          card("version", info.version),
          card("runners", info.runners),
        );
      }
    } catch (e) {
      if (!signal.aborted) error.textContent = describe(e);
    }
  };
  poll(load, 5000, signal);
}
