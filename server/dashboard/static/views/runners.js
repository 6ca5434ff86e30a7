/**
 * Runners: each one's state, health, instances busy and idle, queue,
 * restarts, last exit, permissions and sandbox; start, stop, restart, pause, resume,
 * quarantine, scale, remove; its own log. And registering a new one, and
 * the cluster's members (supervisors and agents on the same store).
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

/** A permission grant in words. @param {any} p */
function permissions(p) {
  if (!p) return "none";
  const parts = Object.entries(p).flatMap(([k, v]) => {
    if (v === true) return [`${k}: all`];
    if (Array.isArray(v) && v.length) return [`${k}: ${v.join(", ")}`];
    return [];
  });
  return parts.length ? parts.join("; ") : "none";
}

/**
 * Which layer confines the runner's processes, in words: the concerns the
 * kernel enforces, and those left to Deno (or to nothing).
 * @param {any} sandbox
 */
function sandboxFacts(sandbox) {
  if (!sandbox) return undefined;
  /** @type {Record<string, string[]>} */
  const by = {};
  for (const key of ["fs", "net", "pids", "memory"]) {
    (by[sandbox[key]] ??= []).push(key);
  }
  const limits = sandbox.limits
    ? Object.entries(sandbox.limits).map(([k, v]) => `${k} ${v}`).join(", ")
    : "";
  return [
    by.os && `OS: ${by.os.join(", ")}`,
    by["deno-only"] && `Deno only: ${by["deno-only"].join(", ")}`,
    by.none && `none: ${by.none.join(", ")}`,
    limits && `limits: ${limits}`,
  ].filter(Boolean).join("; ");
}

/** @param {any} exit */
function lastExit(exit) {
  if (!exit) return undefined;
  const how = exit.signal ? `signal ${exit.signal}` : `code ${exit.code ?? "?"}`;
  return `${how}, ${fmt.ago(exit.at)}`;
}

/**
 * @param {HTMLElement} main
 * @param {ViewContext} ctx
 */
export function renderRunners(main, ctx) {
  const { client, signal } = ctx;
  const list = h("div", { class: "runners" });
  const error = h("p", { class: "error", role: "alert" });
  /** Open log panels and scale inputs survive refreshes. @type {Map<string, HTMLElement>} */
  const cards = new Map();
  const registerPanel = ctx.can("register_runner") ? registerForm(ctx, () => load()) : null;
  const members = h("tbody");
  const clusterPanel = ctx.can("cluster.members")
    ? h(
      "section",
      { class: "panel stack", "aria-label": "Cluster" },
      h("h3", { text: "Cluster" }),
      scrollArea(
        "Cluster members table",
        "",
        table(
          { "aria-label": "Cluster members" },
          ["Member", "Role", "State", "Runners", "Load", ["Last seen", "hide-narrow"]],
          members,
        ),
      ),
    )
    : null;
  replace(
    main,
    h(
      "div",
      { class: "stack" },
      h("h2", { text: "Runners" }),
      error,
      list,
      clusterPanel,
      registerPanel,
    ),
  );

  const loadMembers = async () => {
    const all = await client.cluster.members({ signal });
    replace(
      members,
      all.map((m) =>
        h(
          "tr",
          { dataset: { member: m.id } },
          h("td", { text: m.self ? `${m.id} (this one)` : m.id }),
          h("td", { text: m.role }),
          h("td", {}, badge(m.state)),
          h("td", { text: m.runners.join(", ") || "—" }),
          h("td", { text: `${m.load.busy} / ${m.load.instances}` }),
          h("td", { class: "hide-narrow", text: fmt.ago(m.last_seen) }),
        )
      ),
    );
  };

  /**
   * Runs a control method on a runner, then refreshes.
   *
   * @param {string} label
   * @param {() => Promise<unknown>} call
   */
  const control = (label, call) => act(label, call, load);

  /** @param {any} r */
  const card = (r) => {
    let el = cards.get(r.name);
    if (!el) {
      el = h("article", {
        class: "panel runner",
        "aria-label": `Runner ${r.name}`,
        dataset: { runner: r.name },
      });
      const logs = h("pre", { class: "block", "data-part": "logs" });
      const details = h(
        "details",
        { "data-part": "details" },
        h("summary", { text: "Runner log" }),
        logs,
      );
      details.addEventListener("toggle", () => {
        if (/** @type {HTMLDetailsElement} */ (details).open) {
          showLogs(r.name, logs);
        }
      });
      const scaleInput = h("input", {
        type: "number",
        min: "0",
        max: "1024",
        value: r.instances,
        "aria-label": `Instances of ${r.name}`,
        "data-part": "scale",
      });
      const scale = h(
        "form",
        { class: "scale" },
        scaleInput,
        h("button", { type: "submit", text: "Scale" }),
      );
      scale.addEventListener("submit", (event) => {
        event.preventDefault();
        const instances = Number(
          /** @type {HTMLInputElement} */ (scaleInput).value,
        );
        control(
          `${r.name} scaled to ${instances}`,
          () =>
            client.scaleRunner({
              name: r.name,
              instances,
              reason: "from the dashboard",
            }),
        );
      });
      el.append(
        h("header"),
        h("div", { class: "meter" }),
        h("dl", { class: "facts" }),
        h(
          "div",
          { class: "runner-footer" },
          h("div", { class: "actions" }),
          ctx.can("scale_runner") ? scale : null,
        ),
        ctx.can("get_runner_logs") ? details : null,
      );
      cards.set(r.name, el);
    }
    const [header, meter, facts, footer] = el.children;
    const actions = /** @type {HTMLElement} */ (footer.firstElementChild);
    replace(
      header,
      h("h3", { text: r.name }),
      badge(r.state, r.state === "running" ? "-runner" : ""),
      badge(r.health),
      h("span", { class: "muted", text: r.kind }),
    );
    const idle = r.idle ?? Math.max(0, r.instances - r.busy);
    replace(
      meter,
      Array.from(
        { length: Math.min(r.instances, 64) },
        (_, i) =>
          h("span", {
            class: i < r.busy ? "busy" : "",
            title: i < r.busy ? "busy" : "idle",
          }),
      ),
    );
    /** @type {[string, unknown][]} */
    const rows = [
      ["Instances", `${r.instances} (${r.busy} busy, ${idle} idle)`],
      ["Queued", r.kind === "service" ? undefined : r.queued],
      ["Restarts", r.restarts],
      ["Last exit", lastExit(r.last_exit)],
      ["Last ping", r.last_ping ? fmt.ago(r.last_ping) : undefined],
      ["Restart", r.restart],
      [
        "Next restart",
        r.next_restart_at ? fmt.time(r.next_restart_at) : undefined,
      ],
      ["Why", r.reason],
      [
        "Last failure",
        r.last_failure ? `${fmt.ago(r.last_failure.at)}: ${r.last_failure.reason}` : undefined,
      ],
      ["Checks", checkFacts(r.check)],
      [
        "Managed by",
        r.process_manager && r.process_manager !== "simple" ? r.process_manager : undefined,
      ],
      [
        "Depends on",
        r.depends_on?.length ? r.depends_on.join(", ") : undefined,
      ],
      ["Remote agents", r.remote_agents || undefined],
      [
        "Permissions",
        r.kind === "script" ? permissions(r.permissions) : undefined,
      ],
      ["Sandbox", sandboxFacts(r.sandbox)],
      ["PIDs", r.pids?.length ? r.pids.join(", ") : undefined],
    ];
    replace(
      facts,
      rows.filter(([, v]) => v !== undefined && v !== null && v !== "").map((
        [k, v],
      ) => [h("dt", { text: k }), h("dd", { "data-fact": k }, String(v))]),
    );

    const name = r.name;
    /** @type {[string, string, boolean, () => Promise<unknown>, string?][]} */
    const buttons = [
      [
        "start_runner",
        "Start",
        ["stopped", "completed"].includes(r.state),
        () => client.startRunner({ name }),
      ],
      [
        "stop_runner",
        "Stop",
        !["stopped", "quarantined", "completed"].includes(r.state),
        () => client.stopRunner({ name, reason: "from the dashboard" }),
        "danger",
      ],
      [
        "restart_runner",
        "Restart",
        true,
        () => client.restartRunner({ name, reason: "from the dashboard" }),
      ],
      [
        "pause_runner",
        "Pause",
        // A service takes no jobs: there is nothing to pause.
        r.state === "running" && r.kind !== "service",
        () => client.pauseRunner({ name, reason: "from the dashboard" }),
      ],
      [
        "resume_runner",
        "Resume",
        ["paused", "quarantined"].includes(r.state),
        () => client.resumeRunner({ name }),
      ],
      [
        "quarantine_runner",
        "Quarantine",
        !["quarantined", "stopped", "completed"].includes(r.state),
        () => client.quarantineRunner({ name, reason: "from the dashboard" }),
        "danger",
      ],
    ];
    replace(
      actions,
      buttons.filter(([method, , shown]) => shown && ctx.can(method)).map((
        [, label, , call, kind],
      ) =>
        h("button", {
          type: "button",
          class: kind ?? "",
          text: label,
          onclick: () => control(`${label}: ${name}`, call),
        })
      ),
      ctx.can("remove_runner")
        ? h("button", {
          type: "button",
          class: "danger",
          text: "Remove",
          onclick: () => {
            if (
              confirm(
                `Stop runner ${name} and forget it? Its queued jobs fail, unless a remote agent serves it.`,
              )
            ) {
              control(`Removed ${name}`, () => client.removeRunner({ name }));
            }
          },
        })
        : null,
    );
    // Keep the scale input in step unless someone is editing it.
    const scaleInput = /** @type {HTMLInputElement | null} */ (el.querySelector(
      "[data-part=scale]",
    ));
    if (scaleInput && document.activeElement !== scaleInput) {
      scaleInput.value = String(r.instances);
    }
    const logs = /** @type {HTMLElement | null} */ (el.querySelector("[data-part=logs]"));
    const details = /** @type {HTMLDetailsElement | null} */ (el.querySelector(
      "[data-part=details]",
    ));
    if (logs && details?.open) showLogs(name, logs);
    return el;
  };

  /** @param {string} name @param {HTMLElement} pre */
  const showLogs = async (name, pre) => {
    try {
      const lines = await client.getRunnerLogs({ name, lines: 200 }, {
        signal,
      });
      pre.textContent = lines.length ? lines.join("\n") : "(nothing yet)";
    } catch (e) {
      pre.textContent = describe(e);
    }
  };

  const load = async () => {
    try {
      const statuses = await client.getAllRunnerStatus({ signal });
      error.textContent = "";
      for (const name of cards.keys()) {
        if (!statuses.some((s) => s.name === name)) cards.delete(name);
      }
      replace(
        list,
        statuses.length ? statuses.map(card) : h("p", { class: "muted", text: "No runners." }),
      );
      if (clusterPanel) await loadMembers();
    } catch (e) {
      if (!signal.aborted) error.textContent = describe(e);
    }
  };
  poll(load, 2000, signal);
}

/**
 * Registering a runner from its config, as JSON.
 *
 * @param {ViewContext} ctx
 * @param {() => void} done
 */
function registerForm(ctx, done) {
  const config = h("textarea", {
    class: "code",
    rows: "8",
    spellcheck: "false",
    "aria-label": "Runner config (JSON)",
  });
  /** @type {HTMLTextAreaElement} */ (config).value = JSON.stringify(
    {
      name: "sandboxed",
      kind: "script",
      instances: 2,
      timeout: 60,
      permissions: { net: ["127.0.0.1:3030"] },
    },
    null,
    2,
  );
  const error = h("p", { class: "error", role: "alert" });
  const form = h(
    "form",
    { class: "stack" },
    field("Config (JSON, as in [[runners]] of the config file)", config),
    h(
      "div",
      { class: "row" },
      h("button", { type: "submit", class: "primary", text: "Register" }),
    ),
    error,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    try {
      const runner = JSON.parse(
        /** @type {HTMLTextAreaElement} */ (config).value,
      );
      await ctx.client.registerRunner({ runner });
      toast(`Registered ${runner.name}`);
      done();
    } catch (e) {
      error.textContent = e instanceof SyntaxError ? `Not JSON: ${e.message}` : describe(e);
    }
  });
  return h(
    "details",
    { class: "panel" },
    h("summary", {}, h("strong", { text: "Register a runner" })),
    form,
  );
}

/**
 * A service's or process runner's health checks: what they test, how they fare.
 * @param {any} check
 */
function checkFacts(check) {
  if (!check) return undefined;
  const c = check.config ?? {};
  const what = [
    c.test ? `test: ${c.test}` : "",
    c.tcp ? `tcp ${c.tcp}` : "",
    c.http ? `http ${c.http}` : "",
    c.log ? `log /${c.log}/` : "",
  ].filter(Boolean).join(", ");
  const fare = check.state === "failing"
    ? `failing ${check.failures}× (${check.last_error ?? "no reason"})`
    : check.state;
  const ok = check.last_ok ? `, last passed ${fmt.ago(check.last_ok)}` : "";
  return `${fare}${ok}${what ? `; ${what}` : ""}`;
}
