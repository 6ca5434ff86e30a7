/**
 * Events: the last lifecycle events, then new ones live (the SSE stream of
 * `GET /events`), newest first; filterable and pausable.
 *
 * @module
 */

import { describe, field, fmt, h, replace, scrollArea, table } from "../lib/dom.js";

/** @typedef {import("../app.js").ViewContext} ViewContext */

const KEEP = 500;

/** @param {any} e */
function row(e) {
  const subject = e.type.startsWith("job.")
    ? h("a", {
      href: `#/jobs/${encodeURIComponent(e.subject)}`,
      text: e.subject,
    })
    : e.subject;
  const details = [
    e.requested_by ? `by ${e.requested_by}` : "",
    e.reason ?? "",
    e.data
      ? Object.entries(e.data).map(([k, v]) =>
        `${k}=${typeof v === "object" ? JSON.stringify(v) : v}`
      ).join(" ")
      : "",
  ].filter(Boolean).join(" · ");
  return h(
    "tr",
    { dataset: { type: e.type, subject: e.subject } },
    h("td", { title: new Date(e.ts).toISOString(), text: fmt.time(e.ts) }),
    h("td", {}, h("code", { text: e.type })),
    h("td", {}, subject),
    h("td", { class: "hide-narrow muted", text: details }),
  );
}

/**
 * @param {HTMLElement} main
 * @param {ViewContext} ctx
 */
export function renderEvents(main, ctx) {
  const { client, signal } = ctx;
  const type = h("input", {
    placeholder: "runner., job.finished…",
    value: ctx.query.get("type") ?? "",
  });
  const subject = h("input", {
    placeholder: "runner, job id…",
    value: ctx.query.get("subject") ?? "",
  });
  const pause = h("button", {
    type: "button",
    text: "Pause",
    "aria-pressed": "false",
  });
  const state = h("span", { class: "muted", text: "connecting…" });
  const dot = h("span", { class: "live-dot on", "aria-hidden": "true" });
  const body = h("tbody", { "aria-live": "off" });
  const error = h("p", { class: "error", role: "alert" });

  /** @type {any[]} */
  let held = [];
  let paused = false;

  const shown = (/** @type {any} */ e) =>
    e.type.startsWith(/** @type {HTMLInputElement} */ (type).value.trim()) &&
    (!/** @type {HTMLInputElement} */ (subject).value.trim() ||
      e.subject === /** @type {HTMLInputElement} */ (subject).value.trim());
  /** Every event seen, newest first, for re-filtering. @type {any[]} */
  let seen = [];
  const redraw = () => replace(body, seen.filter(shown).map(row));
  /** @param {any[]} events oldest first */
  const add = (events) => {
    seen = [...events.toReversed(), ...seen].slice(0, KEEP);
    for (const e of events) {
      if (shown(e)) body.prepend(row(e));
    }
    while (body.children.length > KEEP) body.lastElementChild?.remove();
  };
  type.addEventListener("input", redraw);
  subject.addEventListener("input", redraw);
  pause.addEventListener("click", () => {
    paused = !paused;
    pause.textContent = paused ? `Resume` : "Pause";
    pause.setAttribute("aria-pressed", String(paused));
    if (!paused) {
      add(held);
      held = [];
      state.textContent = "live";
    }
  });

  replace(
    main,
    h(
      "div",
      { class: "stack" },
      h("h2", { text: "Events" }),
      h(
        "div",
        { class: "panel row" },
        field("Type starts with", type),
        field("Subject", subject),
        h("span", { class: "spacer" }),
        dot,
        state,
        pause,
      ),
      error,
      scrollArea(
        "Events table",
        "panel",
        table(
          { class: "events", "aria-label": "Events" },
          ["When", "Type", "Subject", ["Details", "hide-narrow"]],
          body,
        ),
      ),
    ),
  );

  (async () => {
    try {
      const { last } = await client.events.list({ limit: 1 }, { signal });
      const recent = await client.events.list({
        after: Math.max(0, last - 100),
        limit: 100,
      }, {
        signal,
      });
      add(recent.events);
      state.textContent = "live";
      for await (
        const event of client.events.stream({ after: recent.next, signal })
      ) {
        if (paused) {
          held.push(event);
          state.textContent = `paused, ${held.length} held`;
        } else {
          state.textContent = "live";
          add([event]);
        }
      }
    } catch (e) {
      if (!signal.aborted) error.textContent = describe(e);
    } finally {
      dot.classList.remove("on");
      if (!signal.aborted) state.textContent = "disconnected";
    }
  })();
}
