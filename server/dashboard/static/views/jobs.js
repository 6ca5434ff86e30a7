/**
 * Jobs: the list (filters, paging, live refresh) and a job's page (spec,
 * timeline, result, live logs; stop, re-run, delete).
 *
 * @module
 */

import {
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
import { logView } from "../lib/log_view.js";

const STATUSES = [
  "created",
  "scheduled",
  "queued",
  "running",
  "completed",
  "failed",
  "stopped",
  "timeout",
];
const FINAL = ["completed", "failed", "stopped", "timeout"];
const FILTERS = ["status", "runner", "caller_id", "context_id"];
const SPEC_FIELDS = [
  "runner",
  "payload",
  "caller_id",
  "context_id",
  "executor",
  "timeout",
  "env_vars",
  "retries",
];

/** @typedef {import("../app.js").ViewContext} ViewContext */

/** @param {any} job */
const runTime = (job) =>
  job.started_at
    ? (job.finished_at ??
      (FINAL.includes(job.status) ? job.updated_at : Date.now())) -
      job.started_at
    : undefined;

/** @param {string} id */
const jobLink = (id) => h("a", { href: `#/jobs/${encodeURIComponent(id)}`, text: id });

/**
 * The list of jobs.
 *
 * @param {HTMLElement} main
 * @param {ViewContext} ctx
 */
export function renderJobs(main, ctx) {
  const { client, query, signal } = ctx;
  const before = query.get("before") ?? undefined;
  const limit = Number(query.get("limit") ?? 50);

  const status = h(
    "select",
    { name: "status" },
    h("option", { value: "", text: "any" }),
    STATUSES.map((s) => h("option", { value: s, text: s })),
  );
  /** @type {HTMLSelectElement} */ (status).value = query.get("status") ?? "";
  const runner = h("input", {
    name: "runner",
    list: "runner-names",
    placeholder: "any",
    value: query.get("runner") ?? "",
  });
  const caller = h("input", {
    name: "caller_id",
    placeholder: "any",
    value: query.get("caller_id") ?? "",
  });
  const context = h("input", {
    name: "context_id",
    placeholder: "any",
    value: query.get("context_id") ?? "",
  });
  const names = h("datalist", { id: "runner-names" });
  const live = h("input", {
    type: "checkbox",
    id: "jobs-live",
    checked: !before,
  });
  const form = h(
    "form",
    { class: "row", role: "search", "aria-label": "Filter jobs" },
    field("Status", status),
    field("Runner", runner),
    field("Caller", caller),
    field("Context", context),
    h("button", { type: "submit", class: "primary", text: "Filter" }),
    h("button", {
      type: "button",
      text: "Clear",
      onclick: () => ctx.navigate("#/jobs"),
    }),
    h("span", { class: "spacer" }),
    h("label", { class: "row", for: "jobs-live" }, live, "Live"),
    names,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = new FormData(/** @type {HTMLFormElement} */ (form));
    const params = new URLSearchParams();
    for (const key of FILTERS) {
      const value = String(data.get(key) ?? "").trim();
      if (value) params.set(key, value);
    }
    ctx.navigate(`#/jobs${params.size ? `?${params}` : ""}`);
  });

  const body = h("tbody");
  const jobsTable = table(
    { "aria-label": "Jobs" },
    [
      "Job",
      "Status",
      "Runner",
      ["Caller", "hide-narrow"],
      "Created",
      ["Run time", "num"],
      ["Attempts", "num hide-narrow"],
    ],
    body,
  );
  const pager = h("div", { class: "row" });
  const error = h("p", { class: "error", role: "alert" });
  replace(
    main,
    h(
      "div",
      { class: "stack" },
      h("h2", { text: "Jobs" }),
      h("div", { class: "panel" }, form),
      h(
        "div",
        { class: "panel" },
        error,
        scrollArea("Jobs table", "", jobsTable),
        pager,
      ),
    ),
  );

  if (ctx.can("list_runners")) {
    client.listRunners().then((list) => replace(names, list.map((n) => h("option", { value: n }))))
      .catch(() => {});
  }

  const filters = Object.fromEntries(
    FILTERS.flatMap((k) => (query.get(k) ? [[k, query.get(k)]] : [])),
  );
  const load = async () => {
    try {
      const jobs = await client.jobs.list({ ...filters, before, limit }, {
        signal,
      });
      error.textContent = "";
      replace(
        body,
        jobs.length === 0
          ? h(
            "tr",
            {},
            h("td", { colspan: "7", class: "muted", text: "No jobs match." }),
          )
          : jobs.map((job) =>
            h(
              "tr",
              {},
              h("td", { class: "id" }, jobLink(job.id)),
              h("td", {}, badge(job.status)),
              h("td", { text: job.runner }),
              h("td", { class: "hide-narrow", text: job.caller_id ?? "" }),
              h("td", {
                title: fmt.time(job.created_at),
                text: fmt.ago(job.created_at),
              }),
              h("td", { class: "num", text: fmt.duration(runTime(job)) }),
              h("td", { class: "num hide-narrow", text: job.attempts }),
            )
          ),
      );
      const params = new URLSearchParams(query);
      const pages = [];
      if (before) {
        params.delete("before");
        pages.push(
          h("a", {
            href: `#/jobs${params.size ? `?${params}` : ""}`,
            text: "← Newest",
          }),
        );
      }
      if (jobs.length === limit) {
        params.set("before", jobs[jobs.length - 1].id);
        pages.push(h("a", { href: `#/jobs?${params}`, text: "Older →" }));
      }
      replace(pager, pages);
    } catch (e) {
      if (!signal.aborted) error.textContent = describe(e);
    }
  };
  // Live: the list refreshes every few seconds (on by default on the first page).
  /** @type {AbortController | null} */
  let liveController = null;
  const setLive = (/** @type {boolean} */ on) => {
    liveController?.abort();
    liveController = null;
    if (!on) return;
    const controller = liveController = new AbortController();
    signal.addEventListener("abort", () => controller.abort(), { once: true });
    poll(load, 3000, controller.signal);
  };
  const liveBox = /** @type {HTMLInputElement} */ (live);
  liveBox.addEventListener("change", () => setLive(liveBox.checked));
  if (liveBox.checked) setLive(true);
  else load();
}

/**
 * One job's page.
 *
 * @param {HTMLElement} main
 * @param {ViewContext} ctx
 * @param {string} [jobId]
 */
export function renderJob(main, ctx, jobId) {
  const { client, signal } = ctx;
  if (!jobId) return;
  const title = h(
    "h2",
    {},
    h("a", { href: "#/jobs", text: "Jobs" }),
    " / ",
    h("span", { text: jobId }),
  );
  const head = h("div", { class: "row" });
  const facts = h("dl", { class: "facts" });
  const outcome = h("div");
  const timeline = h("ol", { class: "timeline" });
  const spec = h("div");
  const error = h("p", { class: "error", role: "alert" });
  const logs = h("div", { class: "panel" }, h("h3", { text: "Output" }));
  replace(
    main,
    h(
      "div",
      { class: "stack" },
      title,
      error,
      head,
      h(
        "div",
        { class: "grid-2" },
        h("div", { class: "panel" }, h("h3", { text: "Job" }), facts),
        h(
          "div",
          { class: "stack" },
          h("div", { class: "panel" }, h("h3", { text: "Result" }), outcome),
          h("div", { class: "panel" }, h("h3", { text: "Timeline" }), timeline),
        ),
      ),
      logs,
      h("div", { class: "panel" }, h("h3", { text: "Spec" }), spec),
    ),
  );

  /** @type {any} */
  let job = null;
  let specShown = false;

  const actions = () => {
    const buttons = [];
    if (ctx.can("job.stop") && !FINAL.includes(job.status)) {
      buttons.push(h("button", {
        type: "button",
        class: "danger",
        text: "Stop",
        onclick: async (/** @type {Event} */ e) => {
          /** @type {HTMLButtonElement} */ (e.currentTarget).disabled = true;
          try {
            await client.job.stop({
              job_id: job.id,
              reason: "stopped from the dashboard",
            });
            toast(`Stopping ${job.id}`);
            await refresh();
          } catch (err) {
            toast(describe(err), "err");
          }
        },
      }));
    }
    if (ctx.can("jobs.create") && ctx.can("job.start")) {
      buttons.push(h("button", {
        type: "button",
        text: "Re-run",
        title: "Run the same spec again, as a new job",
        onclick: async () => {
          try {
            const copy = Object.fromEntries(
              SPEC_FIELDS.filter((k) => job[k] !== undefined).map((
                k,
              ) => [k, job[k]]),
            );
            const id = await client.jobs.create({ job: copy });
            await client.job.start({ job_id: id });
            toast(`Started ${id}`);
            ctx.navigate(`#/jobs/${encodeURIComponent(id)}`);
          } catch (err) {
            toast(describe(err), "err");
          }
        },
      }));
    }
    if (
      ctx.can("job.delete") &&
      (job.status === "created" || job.status === "scheduled" || FINAL.includes(job.status))
    ) {
      buttons.push(h("button", {
        type: "button",
        class: "danger",
        text: "Delete",
        onclick: async () => {
          if (!confirm(`Delete job ${job.id} and its logs?`)) return;
          try {
            await client.job.delete({ job_id: job.id });
            toast(`Deleted ${job.id}`);
            ctx.navigate("#/jobs");
          } catch (err) {
            toast(describe(err), "err");
          }
        },
      }));
    }
    replace(head, badge(job.status), h("span", { class: "spacer" }), buttons);
  };

  const showFacts = () => {
    /** @type {[string, unknown][]} */
    const rows = [
      ["Runner", job.runner],
      ["Caller", job.caller_id],
      ["Context", job.context_id],
      ["Attempts", job.attempts],
      ["Timeout", job.timeout !== undefined ? `${job.timeout} s` : undefined],
      ["Retries", job.retries],
      [
        "Depends on",
        job.depends_on?.length
          ? job.depends_on.map((/** @type {string} */ id) => [jobLink(id), " "])
          : undefined,
      ],
      [
        "Waiting on",
        job.waiting_on?.length ? job.waiting_on.join(", ") : undefined,
      ],
      ["Created", fmt.time(job.created_at)],
      ["Runs at", job.run_at ? fmt.time(job.run_at) : undefined],
      ["Priority", job.priority ? String(job.priority) : undefined],
      ["Started", job.started_at ? fmt.time(job.started_at) : undefined],
      ["Finished", job.finished_at ? fmt.time(job.finished_at) : undefined],
      ["Run time", fmt.duration(runTime(job))],
    ];
    replace(
      facts,
      rows.filter(([, v]) => v !== undefined && v !== "").map((
        [k, v],
      ) => [h("dt", { text: k }), h("dd", {}, v)]),
    );
    if (job.status === "completed") {
      replace(
        outcome,
        h("pre", {
          class: "block",
          "data-testid": "result",
          text: JSON.stringify(job.result, null, 2) ?? "null",
        }),
      );
    } else if (job.error) {
      replace(
        outcome,
        h("pre", {
          class: "block error",
          "data-testid": "result",
          text: job.error,
        }),
      );
    } else {
      replace(
        outcome,
        h("p", { class: "muted", text: `No result yet (${job.status}).` }),
      );
    }
    if (!specShown) {
      specShown = true;
      const env = Object.entries(job.env_vars ?? {});
      replace(
        spec,
        h("pre", { class: "block", text: job.payload }),
        env.length
          ? h(
            "details",
            {},
            h("summary", {
              text: `Environment (${env.length}): ${env.map(([k]) => k).join(", ")}`,
            }),
            h("pre", {
              class: "block",
              text: env.map(([k, v]) => `${k}=${v}`).join("\n"),
            }),
          )
          : null,
      );
    }
  };

  const showTimeline = async () => {
    /** @type {{ ts: number, text: string }[]} */
    let entries = [];
    if (ctx.can("events.list")) {
      const page = await client.events.list({ subject: job.id, limit: 100 }, {
        signal,
      });
      entries = page.events.map((e) => ({
        ts: e.ts,
        text: `${e.type.replace("job.", "")}${e.data?.status ? ` (${e.data.status})` : ""}${
          e.reason ? `: ${e.reason}` : ""
        }${e.requested_by ? ` by ${e.requested_by}` : ""}`,
      }));
    }
    if (!entries.length) {
      entries = [
        { ts: job.created_at, text: "created" },
        ...(job.started_at ? [{ ts: job.started_at, text: "started" }] : []),
        ...(job.finished_at ? [{ ts: job.finished_at, text: job.status }] : []),
      ];
    }
    replace(
      timeline,
      entries.map((e) =>
        h(
          "li",
          {},
          h("span", { class: "muted", text: `${fmt.time(e.ts)} ` }),
          e.text,
        )
      ),
    );
  };

  const refresh = async () => {
    try {
      job = await client.job.get({ job_id: jobId }, { signal });
      error.textContent = "";
      actions();
      showFacts();
      await showTimeline();
    } catch (e) {
      if (signal.aborted) return;
      error.textContent = describe(e);
      throw e;
    }
  };

  refresh().then(() => {
    logs.append(
      logView({
        client,
        jobId,
        signal,
        onEnd: () => refresh().catch(() => {}),
      }),
    );
    // While the job is not final, keep its status fresh.
    const statusController = new AbortController();
    signal.addEventListener("abort", () => statusController.abort(), {
      once: true,
    });
    poll(
      async () => {
        if (FINAL.includes(job.status)) return statusController.abort();
        await refresh();
      },
      2000,
      statusController.signal,
    );
  }).catch(() => {});
}
