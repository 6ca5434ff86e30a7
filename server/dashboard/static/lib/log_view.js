/**
 * A job's log, live: the lines so far, then each new one as the job prints
 * it (the SSE stream of `GET /jobs/{id}/logs`), until the job is final.
 * Follows the end unless the reader scrolls up or pauses; keeps the lines.
 *
 * @module
 */

import { h } from "./dom.js";

/** Lines kept on the page; older ones stay readable through `job.logs`. */
const MAX_LINES = 5000;

/**
 * @param {{
 *   client: import("../client/hero-supervisor-client.js").SupervisorClient,
 *   jobId: string,
 *   signal: AbortSignal,
 *   onEnd?: () => void,
 * }} options
 * @returns {HTMLElement}
 */
export function logView({ client, jobId, signal, onEnd }) {
  const dot = h("span", { class: "live-dot on", "aria-hidden": "true" });
  const state = h("span", { class: "muted", text: "connecting…" });
  const count = h("span", { class: "muted" });
  const pre = h("pre", {
    class: "log",
    role: "log",
    tabindex: "0",
    "aria-label": "Job output",
    "data-testid": "log",
  });
  const pauseButton = h("button", { type: "button", text: "Pause" });
  const endButton = h("button", { type: "button", text: "Jump to end" });

  let paused = false;
  let follow = true;
  let total = 0;
  /** @type {{ seq: number, stream: string, line: string, partial?: boolean }[]} */
  let pending = [];
  /** @type {{ seq: number, stream: string, line: string, partial?: boolean }[]} */
  let held = [];
  let frame = 0;

  const render = () => {
    frame = 0;
    const fragment = document.createDocumentFragment();
    for (const line of pending) {
      fragment.append(
        h(
          "span",
          { class: `l-${line.stream}` },
          h("span", { class: "seq", text: `${line.seq} ` }),
          line.line,
          // A piece of a long line: the next one continues it.
          ...(line.partial
            ? [
              h("span", {
                class: "cut",
                title: "continued on the next line",
                text: " ↩",
              }),
            ]
            : []),
          "\n",
        ),
      );
    }
    pending = [];
    pre.append(fragment);
    while (pre.childNodes.length > MAX_LINES) pre.firstChild?.remove();
    count.textContent = `${total} line${total === 1 ? "" : "s"}${
      held.length ? `, ${held.length} held` : ""
    }`;
    if (follow) pre.scrollTop = pre.scrollHeight;
  };
  const schedule = () => {
    if (!frame) frame = requestAnimationFrame(render);
  };

  pre.addEventListener("scroll", () => {
    // Reading older lines stops following; back at the end, it resumes.
    follow = pre.scrollHeight - pre.scrollTop - pre.clientHeight < 24;
  });
  pauseButton.addEventListener("click", () => {
    paused = !paused;
    pauseButton.textContent = paused ? "Resume" : "Pause";
    pauseButton.setAttribute("aria-pressed", String(paused));
    if (!paused) {
      pending.push(...held);
      held = [];
      schedule();
    }
  });
  endButton.addEventListener("click", () => {
    follow = true;
    pre.scrollTop = pre.scrollHeight;
  });

  (async () => {
    try {
      state.textContent = "live";
      for await (const line of client.job.logs.stream(jobId, { signal })) {
        total++;
        (paused ? held : pending).push(line);
        schedule();
      }
      if (signal.aborted) return;
      state.textContent = "ended";
    } catch (error) {
      if (signal.aborted) return;
      state.textContent = `stream failed: ${error instanceof Error ? error.message : error}`;
    } finally {
      dot.classList.remove("on");
    }
    if (!total) {
      pre.append(h("span", { class: "l-system", text: "(no output)" }));
    }
    schedule();
    onEnd?.();
  })();

  return h(
    "div",
    {},
    h(
      "div",
      { class: "log-tools" },
      dot,
      state,
      count,
      h("span", { class: "spacer" }),
      pauseButton,
      endButton,
    ),
    pre,
  );
}
