/**
 * Small DOM helpers: building elements, formatting values, polling.
 *
 * @module
 */

/**
 * Creates an element. `props`: `class`, `text`, `on<Event>` handlers,
 * `dataset`, booleans (set when true) and any other attribute. Children may
 * be nodes, strings, numbers, arrays of them, or null (skipped).
 *
 * @param {string} tag
 * @param {Record<string, unknown>} [props]
 * @param {...unknown} children
 * @returns {HTMLElement}
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") el.className = String(value);
    else if (key === "text") el.textContent = String(value);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(
        key.slice(2).toLowerCase(),
        /** @type {EventListener} */ (value),
      );
    } else if (key === "value") {
      /** @type {HTMLInputElement} */ (el).value = String(value);
    } else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

/** @param {Element} el @param {unknown[]} children */
function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
}

/**
 * A table with one header row. A column is its title, or `[title, class]`.
 * @param {Record<string, unknown>} props of the table
 * @param {(string | [string, string])[]} columns
 * @param {HTMLElement} body the `tbody` the view fills
 */
export function table(props, columns, body) {
  const th = (column) =>
    Array.isArray(column)
      ? h("th", { class: column[1], text: column[0] })
      : h("th", { text: column });
  return h("table", props, h("thead", {}, h("tr", {}, columns.map(th))), body);
}

/**
 * A wrapper that scrolls a wide table sideways on a narrow screen. It takes
 * the keyboard focus, so that it can be scrolled without a mouse.
 * @param {string} label what it holds (a screen reader names the region so)
 * @param {string} extraClass more classes
 * @param {...unknown} children
 */
export function scrollArea(label, extraClass, ...children) {
  return h(
    "div",
    {
      class: `table-wrap ${extraClass}`.trim(),
      role: "region",
      "aria-label": label,
      tabindex: "0",
    },
    ...children,
  );
}

/** Replaces an element's children. @param {Element} el @param {...unknown} children */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A status badge. @param {string} status @param {string} [kind] extra class suffix */
export function badge(status, kind = "") {
  return h("span", { class: `badge s-${status}${kind}`, text: status });
}

/** Formatting of values for people. */
export const fmt = {
  /** @param {number | undefined | null} ms */
  time(ms) {
    if (!ms) return "—";
    const d = new Date(ms);
    const today = new Date().toDateString() === d.toDateString();
    return today ? d.toLocaleTimeString() : d.toLocaleString();
  },
  /** @param {number | undefined | null} ms */
  ago(ms) {
    if (!ms) return "—";
    const s = Math.max(0, (Date.now() - ms) / 1000);
    if (s < 1) return "just now";
    if (s < 60) return `${Math.floor(s)} s ago`;
    if (s < 3600) return `${Math.floor(s / 60)} min ago`;
    if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
    return new Date(ms).toLocaleDateString();
  },
  /** @param {number | undefined | null} ms */
  duration(ms) {
    if (ms === undefined || ms === null || Number.isNaN(ms)) return "—";
    if (ms < 1000) return `${Math.round(ms)} ms`;
    if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
    const m = Math.floor(ms / 60_000);
    if (m < 60) return `${m} min ${Math.round((ms % 60_000) / 1000)} s`;
    return `${Math.floor(m / 60)} h ${m % 60} min`;
  },
  /** @param {number | undefined} n */
  bytes(n) {
    if (n === undefined) return "—";
    const units = ["B", "KiB", "MiB", "GiB"];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) {
      n /= 1024;
      i++;
    }
    return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
  },
  /** @param {number} seconds */
  uptime(seconds) {
    return fmt.duration(seconds * 1000);
  },
};

/**
 * Calls `fn` now and then every `ms` after each call settles (never two at
 * once), while the page is visible, until `signal` aborts.
 *
 * @param {() => Promise<unknown>} fn
 * @param {number} ms
 * @param {AbortSignal} signal
 */
export function poll(fn, ms, signal) {
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  const run = async () => {
    if (signal.aborted) return;
    if (document.visibilityState === "visible") {
      try {
        await fn();
      } catch {
        // The view shows its own errors; a failed refresh is retried.
      }
    }
    if (!signal.aborted) timer = setTimeout(run, ms);
  };
  signal.addEventListener("abort", () => clearTimeout(timer), { once: true });
  run();
}

/**
 * Shows a transient message.
 *
 * @param {string} message
 * @param {"ok" | "err"} [kind]
 */
export function toast(message, kind = "ok") {
  const box = document.getElementById("toasts");
  if (!box) return;
  const el = h("div", { class: `toast ${kind}`, text: message });
  box.append(el);
  setTimeout(() => el.remove(), kind === "err" ? 8000 : 4000);
}

/**
 * Runs an action the user asked for: its label as a toast when it worked,
 * the error when not; then `reload` either way.
 *
 * @param {string} label
 * @param {() => Promise<unknown>} call
 * @param {() => Promise<unknown>} reload
 */
export async function act(label, call, reload) {
  try {
    await call();
    toast(label);
  } catch (e) {
    toast(describe(e), "err");
  }
  await reload();
}

/** An error as one line for people. @param {unknown} error */
export function describe(error) {
  if (error instanceof Error) {
    const code = /** @type {{ code?: number }} */ (error).code;
    return code ? `${error.message} (${code})` : error.message;
  }
  return String(error);
}

/** A labelled form field. @param {string} label @param {HTMLElement} control */
export function field(label, control) {
  if (!control.id) control.id = `f-${Math.random().toString(36).slice(2, 9)}`;
  return h(
    "div",
    { class: "field" },
    h("label", { for: control.id, text: label }),
    control,
  );
}

/**
 * A heading with something at the far end of its row (a control, a summary, a link).
 * @param {"h2" | "h3"} level @param {string} title @param {unknown} end
 */
export function headingRow(level, title, end) {
  return h(
    "div",
    { class: "row" },
    h(level, { text: title }),
    h("span", { class: "spacer" }),
    end,
  );
}
