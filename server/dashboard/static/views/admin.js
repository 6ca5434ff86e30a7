/**
 * Admin: the supervisor's facts, its secrets (add, list by fingerprint,
 * remove), the OpenRPC document and the metrics.
 *
 * @module
 */

import { describe, field, fmt, h, replace, scrollArea, table, toast } from "../lib/dom.js";

/** @typedef {import("../app.js").ViewContext} ViewContext */

/** A random secret: 32 bytes, base64url. */
function generateSecret() {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll(
    "/",
    "_",
  ).replace(
    /=+$/,
    "",
  );
}

/**
 * @param {HTMLElement} main
 * @param {ViewContext} ctx
 */
export function renderAdmin(main, ctx) {
  const { client, signal } = ctx;
  const facts = h("dl", { class: "facts" });
  const secrets = h("tbody");
  const error = h("p", { class: "error", role: "alert" });

  const kind = h(
    "select",
    { name: "kind" },
    ["user", "admin", "register"].map((k) => h("option", { value: k, text: k })),
  );
  const value = h("input", {
    name: "value",
    type: "password",
    autocomplete: "new-password",
    minlength: "12",
    required: true,
    placeholder: "at least 12 characters",
  });
  const reveal = h("p", { class: "hint", role: "status" });
  const addForm = h(
    "form",
    { class: "row", "aria-label": "Add a secret" },
    field("Kind", kind),
    field("Value", value),
    h("button", {
      type: "button",
      text: "Generate",
      onclick: () => {
        const input = /** @type {HTMLInputElement} */ (value);
        input.value = generateSecret();
        input.type = "text";
      },
    }),
    h("button", { type: "submit", class: "primary", text: "Add secret" }),
  );
  addForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = /** @type {HTMLInputElement} */ (value);
    const k = /** @type {HTMLSelectElement} */ (kind).value;
    try {
      await client.addSecret({
        kind: /** @type {any} */ (k),
        value: input.value,
      });
      replace(
        reveal,
        `Added a ${k} secret. Copy it now: it is stored hashed and cannot be shown again. `,
        h("code", { text: input.value }),
      );
      input.value = "";
      input.type = "password";
      toast(`Added a ${k} secret`);
      await loadSecrets();
    } catch (e) {
      toast(describe(e), "err");
    }
  });

  const metrics = h("pre", { class: "block", hidden: true });
  const metricsButton = h("button", {
    type: "button",
    text: "Show metrics",
    onclick: async () => {
      // /metrics is plain HTTP with the admin secret, not JSON-RPC.
      const res = await fetch("/metrics", {
        headers: {
          authorization: `Bearer ${sessionStorage.getItem("hero.secret")}`,
        },
        signal,
      });
      metrics.textContent = res.ok
        ? await res.text()
        : `HTTP ${res.status}: ${(await res.text()).slice(0, 300)}`;
      metrics.hidden = false;
    },
  });

  replace(
    main,
    h(
      "div",
      { class: "stack" },
      h("h2", { text: "Admin" }),
      error,
      h(
        "div",
        { class: "grid-2" },
        h(
          "section",
          { class: "panel" },
          h("h3", { text: "Supervisor" }),
          facts,
        ),
        h(
          "section",
          { class: "panel stack" },
          h("h3", { text: "API" }),
          h(
            "p",
            {},
            "The API is JSON-RPC 2.0 on ",
            h("code", { text: "POST /rpc" }),
            ", described by its ",
            h("a", {
              href: "/openrpc.json",
              target: "_blank",
              rel: "noopener",
              text: "OpenRPC document",
            }),
            " (also ",
            h("code", { text: "rpc.discover" }),
            "). Live logs: ",
            h("code", { text: "GET /jobs/{id}/logs" }),
            "; events: ",
            h("code", { text: "GET /events" }),
            ".",
          ),
          h(
            "div",
            { class: "row" },
            metricsButton,
            h("span", {
              class: "muted",
              text: "Prometheus text on GET /metrics, admin secret",
            }),
          ),
          metrics,
        ),
      ),
      h(
        "section",
        { class: "panel stack" },
        h("h3", { text: "Secrets" }),
        scrollArea(
          "Secrets table",
          "",
          table(
            { "aria-label": "Secrets" },
            ["Kind", "Fingerprint", "From", ["Added", "hide-narrow"], [
              "Actions",
              "sr-only-text",
            ]],
            secrets,
          ),
        ),
        ctx.can("add_secret") ? addForm : null,
        reveal,
      ),
    ),
  );

  const loadInfo = async () => {
    const info = await client.getSupervisorInfo({ signal });
    /** @type {[string, unknown][]} */
    const rows = [
      ["Name", info.name],
      ["Version", info.version],
      ["Store", info.store],
      ["Namespace", info.namespace],
      ["Listening on", info.bind],
      ["PID", info.pid],
      ["Uptime", fmt.uptime(info.uptime_s)],
      ["Memory (RSS)", fmt.bytes(info.memory_rss)],
      ["Runners", info.runners],
      [
        "Jobs",
        `${info.jobs.total} (${info.jobs.running} running, ${info.jobs.queued} queued)`,
      ],
    ];
    replace(
      facts,
      rows.filter(([, v]) => v !== undefined).map((
        [k, v],
      ) => [h("dt", { text: k }), h("dd", { text: String(v) })]),
    );
  };

  const loadSecrets = async () => {
    const list = await client.listSecrets({ signal });
    replace(
      secrets,
      list.map((s) =>
        h(
          "tr",
          { dataset: { fingerprint: s.fingerprint } },
          h("td", { text: s.kind }),
          h(
            "td",
            {},
            h("code", { text: s.fingerprint }),
            s.fingerprint === ctx.identity.fingerprint
              ? h("span", { class: "muted", text: " (yours)" })
              : null,
          ),
          h("td", { text: s.source ?? "" }),
          h("td", { class: "hide-narrow", text: fmt.time(s.created_at) }),
          h(
            "td",
            {},
            ctx.can("remove_secret")
              ? h("button", {
                type: "button",
                class: "danger",
                text: "Remove",
                disabled: s.source === "config",
                title: s.source === "config"
                  ? "From the config file: remove it there"
                  : `Remove ${s.fingerprint}`,
                onclick: async () => {
                  const mine = s.fingerprint === ctx.identity.fingerprint;
                  if (
                    !confirm(
                      `Remove the ${s.kind} secret ${s.fingerprint}?${
                        mine ? " It is the one you signed in with." : ""
                      }`,
                    )
                  ) return;
                  try {
                    await client.removeSecret({
                      kind: s.kind,
                      fingerprint: s.fingerprint,
                    });
                    toast(`Removed ${s.fingerprint}`);
                    await loadSecrets();
                  } catch (e) {
                    toast(describe(e), "err");
                  }
                },
              })
              : null,
          ),
        )
      ),
    );
  };

  Promise.all([
    ctx.can("get_supervisor_info") ? loadInfo() : null,
    loadSecrets(),
  ]).catch((e) => {
    if (!signal.aborted) error.textContent = describe(e);
  });
}
