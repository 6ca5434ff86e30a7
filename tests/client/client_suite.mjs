/**
 * The client's test suite, in plain JavaScript so that the very same cases
 * run in Deno (on the source), in Node (on the built package) and in
 * Chromium (on the bundle served as from a CDN), each against a live
 * supervisor.
 *
 * `env`: `{ url, admin, user, runner }`: the supervisor's URL, an admin and a
 * user secret, and a script runner's name. `lib`: the client module.
 *
 * @module
 */

/** @param {unknown} condition @param {string} message */
function check(condition, message) {
  if (!condition) throw new Error(message);
}

/** @param {unknown} actual @param {unknown} expected @param {string} what */
function same(actual, expected, what) {
  const a = JSON.stringify(actual);
  const b = JSON.stringify(expected);
  if (a !== b) throw new Error(`${what}: expected ${b}, got ${a}`);
}

/** Awaits `promise`, expecting it to reject with an instance of `Class`; returns the error. */
async function rejects(promise, Class, what) {
  try {
    await promise;
  } catch (error) {
    if (!(error instanceof Class)) {
      throw new Error(`${what}: expected ${Class.name}, got ${error?.name}: ${error?.message}`);
    }
    return error;
  }
  throw new Error(`${what}: expected ${Class.name}, but it resolved`);
}

let counter = 0;
const unique = (label) =>
  `${label}-${Date.now().toString(36)}-${(++counter).toString(36)}-${
    Math.random().toString(36).slice(2, 8)
  }`;

const printLines = (n) =>
  `for (let i = 1; i <= ${n}; i++) console.log("line " + i);\nexport default () => ${n};`;

/** Every case: `{ name, run(lib, env) }`. */
export const cases = [
  {
    name: "job.run runs a script and returns its value",
    async run(lib, env) {
      const client = new lib.SupervisorClient(env.url, { secret: env.user });
      const result = await client.job.run({
        job: { runner: env.runner, payload: "export default () => ({ answer: 6 * 7 });" },
      });
      same(result, { success: { answer: 42 } }, "result");
    },
  },
  {
    name: "a failing script gives an error result, not an exception",
    async run(lib, env) {
      const client = new lib.SupervisorClient(env.url, { secret: env.user });
      const result = await client.job.run({
        job: { runner: env.runner, payload: "throw new Error('boom');" },
      });
      check(typeof result.error === "string" && result.error.includes("boom"), "error names it");
    },
  },
  {
    name: "create, start, poll status, result, get, list, delete",
    async run(lib, env) {
      const client = new lib.SupervisorClient(env.url, { secret: env.user });
      const callerId = unique("caller");
      const job = new lib.JobBuilder()
        .runner(env.runner)
        .payload("await new Promise((r) => setTimeout(r, 100)); export default () => 'done';")
        .callerId(callerId)
        .timeout(30)
        .build();
      const id = await client.jobs.create({ job });
      same((await client.job.status({ job_id: id })).status, "created", "status after create");
      await client.job.start({ job_id: id });
      let status;
      for (let i = 0; i < 200; i++) {
        status = (await client.job.status({ job_id: id })).status;
        if (status === "completed") break;
        await new Promise((r) => setTimeout(r, 25));
      }
      same(status, "completed", "polled status");
      same(await client.job.result({ job_id: id }), { success: "done" }, "result");
      const stored = await client.job.get({ job_id: id });
      same([stored.id, stored.caller_id, stored.attempts], [id, callerId, 1], "stored job");
      const listed = await client.jobs.list({ caller_id: callerId });
      same(listed.map((j) => j.id), [id], "listed by caller");
      await client.job.delete({ job_id: id });
      await rejects(client.job.get({ job_id: id }), lib.NotFoundError, "get after delete");
    },
  },
  {
    name: "JobBuilder builds a complete spec and refuses an incomplete one",
    run(lib) {
      const spec = new lib.JobBuilder()
        .runner("r").payload("p").id("j1").contextId("c").env({ A: "1" }).env({ B: "2" })
        .retries(2).dependsOn("a").dependsOn("b").build();
      same(spec, {
        runner: "r",
        payload: "p",
        id: "j1",
        context_id: "c",
        env_vars: { A: "1", B: "2" },
        retries: 2,
        depends_on: ["a", "b"],
      }, "spec");
      let thrown;
      try {
        new lib.JobBuilder().payload("p").build();
      } catch (error) {
        thrown = error;
      }
      check(thrown instanceof TypeError && /runner/.test(thrown.message), "names runner");
    },
  },
  {
    name: "error answers become typed errors with code, message and data",
    async run(lib, env) {
      const user = new lib.SupervisorClient(env.url, { secret: env.user });
      const stranger = new lib.SupervisorClient(env.url, { secret: "not-a-secret" });
      const nobody = new lib.SupervisorClient(env.url);

      const unauth = await rejects(
        stranger.job.status({ job_id: "x" }),
        lib.UnauthenticatedError,
        "unknown secret",
      );
      same(unauth.code, lib.ErrorCode.Unauthenticated, "code");
      await rejects(nobody.jobs.list(), lib.UnauthenticatedError, "no secret");
      const forbidden = await rejects(
        user.addSecret({ kind: "user", value: "a-new-secret-value" }),
        lib.ForbiddenError,
        "user scope",
      );
      same(forbidden.code, -32002, "forbidden code");
      const missing = await rejects(
        user.job.status({ job_id: unique("none") }),
        lib.NotFoundError,
        "missing job",
      );
      same(missing.code, -32004, "not found code");
      const id = unique("dup");
      await user.jobs.create({ job: { id, runner: env.runner, payload: "export default 1;" } });
      await rejects(
        user.jobs.create({ job: { id, runner: env.runner, payload: "export default 1;" } }),
        lib.ConflictError,
        "duplicate id",
      );
      const invalid = await rejects(
        user.jobs.create({ job: { runner: env.runner } }),
        lib.InvalidParamsError,
        "missing payload",
      );
      check(/payload/.test(invalid.message), `message names the param: ${invalid.message}`);
      check(invalid instanceof lib.SupervisorError && invalid instanceof Error, "hierarchy");
      same(invalid.name, "InvalidParamsError", "name");
    },
  },
  {
    name: "a wait that runs out on the server is a TimeoutError; the job goes on",
    async run(lib, env) {
      const client = new lib.SupervisorClient(env.url, { secret: env.user });
      const id = await client.jobs.create({
        job: { runner: env.runner, payload: "await new Promise((r) => setTimeout(r, 800));" },
      });
      await client.job.start({ job_id: id });
      const error = await rejects(
        client.job.result({ job_id: id, wait_ms: 50 }),
        lib.TimeoutError,
        "wait_ms",
      );
      same(error.code, -32008, "code");
      // No default export: the result is the job's stdout, here empty.
      same(await client.job.result({ job_id: id }), { success: "" }, "result after all");
    },
  },
  {
    name: "per-call timeouts and AbortSignal end a call on the client's side",
    async run(lib, env) {
      const client = new lib.SupervisorClient(env.url, { secret: env.user });
      const id = await client.jobs.create({
        job: { runner: env.runner, payload: "await new Promise((r) => setTimeout(r, 600));" },
      });
      await client.job.start({ job_id: id });
      const started = Date.now();
      const error = await rejects(
        client.job.result({ job_id: id }, { timeoutMs: 100 }),
        lib.TimeoutError,
        "timeoutMs",
      );
      check(Date.now() - started < 550, "gave up before the job ended");
      check(/100 ms/.test(error.message), `message says the timeout: ${error.message}`);

      const controller = new AbortController();
      const call = client.job.result({ job_id: id }, { signal: controller.signal });
      setTimeout(() => controller.abort(), 50);
      let aborted;
      try {
        await call;
      } catch (e) {
        aborted = e;
      }
      check(aborted?.name === "AbortError", `aborted with AbortError, got ${aborted?.name}`);
      same(await client.job.result({ job_id: id }), { success: "" }, "the job still ends");
    },
  },
  {
    name: "an unreachable supervisor is a TransportError",
    async run(lib) {
      const client = new lib.SupervisorClient("http://127.0.0.1:9", { secret: "x" });
      const error = await rejects(client.jobs.list(), lib.TransportError, "closed port");
      same(error.code, 0, "code");
    },
  },
  {
    name: "a batch sends several calls at once; each settles on its own",
    async run(lib, env) {
      const client = new lib.SupervisorClient(env.url, { secret: env.user });
      const id = await client.jobs.create({
        job: { runner: env.runner, payload: "export default 1;" },
      });
      const fetchCounter = { count: 0 };
      const counting = new lib.SupervisorClient(env.url, {
        secret: env.user,
        fetch: (input, init) => {
          fetchCounter.count++;
          return fetch(input, init);
        },
      });
      const settled = await counting.batch((api) => [
        api.job.status({ job_id: id }),
        api.job.status({ job_id: unique("missing") }),
        api.jobs.list({ limit: 1 }),
      ]);
      same(fetchCounter.count, 1, "one HTTP request");
      same(settled.map((s) => s.status), ["fulfilled", "rejected", "fulfilled"], "outcomes");
      same(settled[0].value.status, "created", "first result");
      check(settled[1].reason instanceof lib.NotFoundError, "second is NotFoundError");
      same(settled[2].value.length, 1, "third lists a job");
      same(await client.batch(() => []), [], "empty batch");
    },
  },
  {
    name: "job.logs.stream yields a job's lines live, then ends",
    async run(lib, env) {
      const client = new lib.SupervisorClient(env.url, { secret: env.user });
      const id = await client.jobs.create({
        job: {
          runner: env.runner,
          payload: "for (let i = 1; i <= 5; i++) { console.log('tick ' + i); " +
            "await new Promise((r) => setTimeout(r, 40)); }",
        },
      });
      await client.job.start({ job_id: id });
      const lines = [];
      for await (const line of client.job.logs.stream(id)) lines.push(line);
      const out = lines.filter((l) => l.stream === "stdout");
      same(out.map((l) => l.line), ["tick 1", "tick 2", "tick 3", "tick 4", "tick 5"], "lines");
      const seqs = lines.map((l) => l.seq);
      same(seqs, seqs.map((_, i) => seqs[0] + i), "seq grows by one");
    },
  },
  {
    name: "a stream resumes after a given line, and reconnects after a drop without loss",
    async run(lib, env) {
      const plain = new lib.SupervisorClient(env.url, { secret: env.user });
      const result = await plain.job.run({ job: { runner: env.runner, payload: printLines(6) } });
      same(result, { success: 6 }, "ran");
      const [done] = await plain.jobs.list({ limit: 1 });
      const id = done.id;
      const all = [];
      for await (const line of plain.job.logs.stream(id)) all.push(line);
      const after = [];
      for await (const line of plain.job.logs.stream(id, { after: all[1].seq })) after.push(line);
      same(after.map((l) => l.seq), all.slice(2).map((l) => l.seq), "after");

      // A fetch whose first stream is cut after its first event: the client
      // must reconnect with Last-Event-ID and lose or repeat nothing.
      let streams = 0;
      const lastEventIds = [];
      const cutting = new lib.SupervisorClient(env.url, {
        secret: env.user,
        fetch: async (input, init) => {
          const res = await fetch(input, init);
          if (!String(input).includes("/logs")) return res;
          lastEventIds.push(new Headers(init?.headers).get("last-event-id"));
          if (streams++ > 0) return res;
          const reader = res.body.getReader();
          const cut = new ReadableStream({
            async pull(controller) {
              const { value, done } = await reader.read();
              const text = value ? new TextDecoder().decode(value) : "";
              if (done || text.includes("\n\n")) {
                if (value) controller.enqueue(value.slice(0, text.indexOf("\n\n") + 2));
                await reader.cancel();
                controller.error(new TypeError("connection reset (simulated)"));
              } else controller.enqueue(value);
            },
          });
          return new Response(cut, { status: res.status, headers: res.headers });
        },
      });
      const again = [];
      for await (const line of cutting.job.logs.stream(id, { retryMs: 10 })) again.push(line);
      same(again.map((l) => l.seq), all.map((l) => l.seq), "all lines, once each");
      same(streams, 2, "reconnected once");
      same(lastEventIds, [null, String(all[0].seq)], "resumed from the last line seen");
    },
  },
  {
    name: "a stream of an unknown job, without a secret or to nowhere fails with a typed error",
    async run(lib, env) {
      const client = new lib.SupervisorClient(env.url, { secret: env.user });
      const missing = client.job.logs.stream(unique("none"))[Symbol.asyncIterator]().next();
      await rejects(missing, lib.NotFoundError, "unknown job");
      const unreachable = new lib.SupervisorClient("http://127.0.0.1:9", { secret: "x" });
      const refused = await rejects(
        unreachable.job.logs.stream("x")[Symbol.asyncIterator]().next(),
        lib.TransportError,
        "unreachable supervisor",
      );
      same(refused.code, 0, "transport code");
      const nobody = new lib.SupervisorClient(env.url);
      await rejects(
        nobody.events.stream()[Symbol.asyncIterator]().next(),
        lib.UnauthenticatedError,
        "no secret",
      );
    },
  },
  {
    name: "events.stream yields lifecycle events live; events.list pages them",
    async run(lib, env) {
      const admin = new lib.SupervisorClient(env.url, { secret: env.admin });
      const { next } = await admin.events.list({ limit: 1 });
      const controller = new AbortController();
      const seen = [];
      const id = unique("evt");
      const reading = (async () => {
        for await (const event of admin.events.stream({ after: next, signal: controller.signal })) {
          seen.push(event);
          if (event.type === "job.finished" && event.subject === id) controller.abort();
        }
      })();
      await admin.job.run({ job: { id, runner: env.runner, payload: "export default 1;" } });
      await reading;
      const mine = seen.filter((e) => e.subject === id).map((e) => e.type);
      same(mine.slice(-1), ["job.finished"], "finished event");
      check(seen.every((e, i) => i === 0 || e.id > seen[i - 1].id), "ids grow");
      const page = await admin.events.list({ after: next });
      check(page.events.some((e) => e.subject === id), "listed");
    },
  },
  {
    name: "runner, admin and discovery methods are all there, camelCased",
    async run(lib, env) {
      const admin = new lib.SupervisorClient(env.url, { secret: env.admin });
      const info = await admin.getSupervisorInfo();
      check(typeof info.version === "string" && info.runners >= 1, "supervisor info");
      const status = await admin.getRunnerStatus({ name: env.runner });
      same(status.name, env.runner, "runner status");
      const doc = await admin.rpc.discover();
      same(doc.openrpc.split(".")[0], "1", "OpenRPC document");
      const names = doc.methods.map((m) => m.name).sort();
      check(names.includes("job.run") && names.includes("scale_runner"), "methods listed");
      const value = unique("secret-value");
      const before = await admin.listSecrets();
      same(await admin.addSecret({ kind: "user", value }), null, "add_secret result");
      const listed = await admin.listSecrets();
      same(listed.length, before.length + 1, "one more secret listed");
      check(!JSON.stringify(listed).includes(value), "never returns a value");
      const fresh = new lib.SupervisorClient(env.url, { secret: value });
      check(Array.isArray(await fresh.jobs.list({ limit: 1 })), "the new secret works");
      await admin.removeSecret({ kind: "user", value });
      await rejects(fresh.jobs.list(), lib.UnauthenticatedError, "removed secret");
    },
  },
];

/**
 * Runs every case (or those whose name includes `only`); calls `report` with
 * `{ name, ok, error?, ms }` after each and returns them all.
 */
export async function runSuite(lib, env, report = () => {}, only) {
  const results = [];
  for (const c of cases) {
    if (only && !c.name.includes(only)) continue;
    const started = Date.now();
    let result;
    try {
      await c.run(lib, env);
      result = { name: c.name, ok: true, ms: Date.now() - started };
    } catch (error) {
      result = {
        name: c.name,
        ok: false,
        error: `${error?.name}: ${error?.message}\n${error?.stack ?? ""}`,
        ms: Date.now() - started,
      };
    }
    results.push(result);
    report(result);
  }
  return results;
}
