/**
 * Scoped secrets: stored hashed, never returned or logged, generated on
 * first start, managed through the API, and guarded against guessing.
 */

import { assert, assertEquals, assertMatch } from "../_helpers/assert.ts";
import { scopeAllows } from "../../shared/method_spec.ts";
import { methods } from "../../shared/methods.ts";
import { RpcCaller } from "../_helpers/rpc.ts";
import { SECRETS, startSupervisor, SupervisorProcess } from "../_helpers/supervisor.ts";

Deno.test("with no secret configured, an admin secret is generated once, kept hashed, saved 0600", async () => {
  const dir = await Deno.makeTempDir({ prefix: "hero-gen-" });
  const toml = '[[runners]]\nname = "default"\nkind = "noop"\n';
  const bare = (port: string) => `port = ${port}\ndata_dir = ${JSON.stringify(dir)}\n${toml}`;
  // A config without secrets (SupervisorProcess adds some, so write our own).
  const start = async () => {
    const port = String(20000 + Math.floor(Math.random() * 20000));
    await Deno.writeTextFile(`${dir}/bare.toml`, bare(port));
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL("../../server/main.ts", import.meta.url).pathname,
        "--config",
        `${dir}/bare.toml`,
      ],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const url = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 200; i++) {
      try {
        const r = await fetch(`${url}/health`);
        await r.body?.cancel();
        if (r.ok) break;
      } catch { /* starting */ }
      await new Promise((r) => setTimeout(r, 50));
    }
    return { child, url };
  };
  const first = await start();
  const secret = (await Deno.readTextFile(`${dir}/admin.secret`)).trim();
  assert(secret.length >= 40, "a long random secret");
  assertEquals((await Deno.stat(`${dir}/admin.secret`)).mode! & 0o777, 0o600);
  const info = await new RpcCaller(first.url, secret).call<{ name: string }>("get_supervisor_info");
  assertEquals(info.name, "hero-supervisor");
  first.child.kill("SIGTERM");
  const firstOut = await first.child.output();
  const printed = new TextDecoder().decode(firstOut.stdout) +
    new TextDecoder().decode(firstOut.stderr);
  assertEquals(printed.split(secret).length - 1, 1, "printed exactly once");
  // Only a hash is kept: the value appears nowhere in the data directory but its 0600 file.
  for await (const entry of Deno.readDir(dir)) {
    if (entry.name === "admin.secret" || !entry.isFile) continue;
    const bytes = new TextDecoder("latin1").decode(await Deno.readFile(`${dir}/${entry.name}`));
    assert(!bytes.includes(secret), `${entry.name} holds the secret in clear`);
  }
  // A restart keeps the same secret and generates no other.
  const second = await start();
  const again = (await Deno.readTextFile(`${dir}/admin.secret`)).trim();
  assertEquals(again, secret);
  const list = await new RpcCaller(second.url, secret).call<{ source: string }[]>("list_secrets");
  assertEquals(list.map((s) => s.source), ["generated"]);
  second.child.kill("SIGTERM");
  const secondOut = await second.child.output();
  assert(!new TextDecoder().decode(secondOut.stdout).includes(secret), "not printed again");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("add_secret, list_secrets, remove_secret: hashed, fingerprints only, scoped", async () => {
  const logs: string[] = [];
  await using s = await startSupervisor({}, { log: (m) => logs.push(m) });
  const value = "a-new-user-secret-42";
  assertEquals(await s.admin.call("add_secret", { kind: "user", value }), null);
  const dup = await s.admin.error("add_secret", { kind: "admin", value });
  assertEquals(dup.code, -32009);
  const listed = await s.admin.call<{ kind: string; fingerprint: string; source: string }[]>(
    "list_secrets",
  );
  const text = JSON.stringify(listed);
  for (const secret of [value, ...Object.values(SECRETS)]) {
    assert(!text.includes(secret), "no value listed");
  }
  assertEquals(listed.filter((l) => l.source === "api").map((l) => l.kind), ["user"]);
  assert(listed.every((l) => /^sha256:[0-9a-f]{12}$/.test(l.fingerprint)));
  // The new secret has the user scope: jobs yes, runners no.
  const asNew = new RpcCaller(s.url, value);
  assertEquals(Array.isArray(await asNew.call("jobs.list")), true);
  assertEquals((await asNew.error("list_runners")).code, -32002);
  // By-name `secret` param works as well as the header.
  assertEquals(
    Array.isArray(await new RpcCaller(s.url).call("jobs.list", { secret: value })),
    true,
  );
  // Removal: only added secrets, of the right kind.
  assertEquals((await s.admin.error("remove_secret", { kind: "admin", value })).code, -32004);
  assertEquals(
    (await s.admin.error("remove_secret", { kind: "user", value: SECRETS.user })).code,
    -32009,
  );
  assertEquals(await s.admin.call("remove_secret", { kind: "user", value }), null);
  assertEquals((await asNew.error("jobs.list")).code, -32001);
  // Secrets are never logged.
  for (const secret of [value, ...Object.values(SECRETS)]) {
    assert(!logs.join("\n").includes(secret), "a secret was logged");
  }
  // Stored hashed: the store holds no value.
  const stored = JSON.stringify(await s.sup.store.listSecrets());
  assert(!stored.includes(value));
});

Deno.test("a guesser is slowed down and refused (-32029); a good secret from its address still passes", async () => {
  await using s = await startSupervisor({ auth_max_failures: 5, auth_window: 60 });
  // Calls with no secret at all are not guesses: as many as you like, never a failure.
  const anonymous = s.admin.as();
  for (let i = 0; i < 30; i++) assertEquals((await anonymous.error("jobs.list")).code, -32001);
  assertEquals(await s.admin.call("jobs.list"), []);
  const guesser = new RpcCaller(s.url, "wrong-guess-0000");
  for (let i = 0; i < 5; i++) assertEquals((await guesser.error("jobs.list")).code, -32001);
  const refused = await guesser.error("jobs.list");
  assertEquals(refused.code, -32029);
  assertMatch(refused.message, /retry in \d+ s/);
  assert((refused.data as { retry_after_ms: number }).retry_after_ms > 0);
  // The same address (a proxy's, say) with a valid secret is never locked out.
  assertEquals(await s.admin.call("jobs.list"), []);
  const res = await fetch(`${s.url}/events`, {
    headers: { authorization: `Bearer ${SECRETS.admin}` },
  });
  await res.body?.cancel();
  assertEquals(res.status, 200);
  // The streams refuse the guesser with HTTP 429.
  const guessed = await fetch(`${s.url}/events`, {
    headers: { authorization: "Bearer wrong-guess-0000" },
  });
  await guessed.body?.cancel();
  assertEquals(guessed.status, 429);
  // The throttling is an event an operator sees.
  const events = await s.admin.call<{ events: { type: string; subject: string }[] }>(
    "events.list",
    { type: "auth.throttled" },
  );
  assertEquals(events.events.map((e) => e.subject), ["127.0.0.1"]);
});

Deno.test("a batch is one guess: its calls share one check of each secret they carry", async () => {
  await using s = await startSupervisor({ auth_max_failures: 5, auth_window: 60 });
  const guesser = new RpcCaller(s.url, "wrong-guess-0000");
  const batch = Array.from({ length: 20 }, (_, id) => ({
    jsonrpc: "2.0",
    id,
    method: "jobs.list",
    params: {},
  }));
  const { body } = await guesser.raw(JSON.stringify(batch));
  const codes = (body as { error: { code: number } }[]).map((r) => r.error.code);
  // Counted once, the body stays under the limit of 5: no -32029 inside it.
  assertEquals(codes, Array(20).fill(-32001));
  // Four more single guesses make five failures; the sixth is refused.
  for (let i = 0; i < 4; i++) assertEquals((await guesser.error("jobs.list")).code, -32001);
  assertEquals((await guesser.error("jobs.list")).code, -32029);
  // A batch mixing a valid secret (as a param) with the wrong bearer: each call gets its own.
  const mixed = await s.admin.as().raw(JSON.stringify([
    { jsonrpc: "2.0", id: 1, method: "jobs.list", params: { secret: SECRETS.admin } },
    { jsonrpc: "2.0", id: 2, method: "jobs.list", params: { secret: SECRETS.user } },
  ]));
  assertEquals((mixed.body as { result: unknown }[]).map((r) => r.result), [[], []]);
});

Deno.test("past the limit, each further wrong guess waits longer than the one before", async () => {
  await using s = await startSupervisor({ auth_max_failures: 1, auth_window: 60 });
  const guesser = new RpcCaller(s.url, "wrong-guess-0000");
  assertEquals((await guesser.error("jobs.list")).code, -32001);
  // Orders, not windows: the waits double (100, 200, 400, 800 ms), so two apart always grow.
  const took: number[] = [];
  for (let i = 0; i < 4; i++) {
    const t0 = performance.now();
    assertEquals((await guesser.error("jobs.list")).code, -32029);
    took.push(performance.now() - t0);
  }
  const shown = took.map((t) => t.toFixed(0)).join(", ");
  assert(took[2] > took[0] && took[3] > took[1], `the waits grow: ${shown} ms`);
  // Meanwhile a valid secret from the same address answers at once, before the guesser's next.
  const slow = guesser.error("jobs.list");
  let validFirst = false;
  await s.admin.call("jobs.list").then(() => (validFirst = true));
  await slow;
  assert(validFirst, "the valid call was answered while the guess still waited");
});

Deno.test("a secret from the environment (HERO_USER_SECRETS) works and is never printed", async () => {
  const proc = await SupervisorProcess.start(
    '[[runners]]\nname = "default"\nkind = "noop"\n',
    undefined,
    {
      HERO_USER_SECRETS: "env-given-secret-01",
    },
  );
  const asEnv = new RpcCaller(proc.url, "env-given-secret-01");
  assertEquals(Array.isArray(await asEnv.call("jobs.list")), true);
  proc.signal("SIGTERM");
  const { output } = await proc.exited();
  assert(!output.includes("env-given-secret-01"), "a secret was printed");
  await Deno.remove(proc.dataDir, { recursive: true });
});

Deno.test("remove_secret by fingerprint, as list_secrets shows it", async () => {
  await using s = await startSupervisor();
  const value = "secret-removed-by-fingerprint";
  await s.admin.call("add_secret", { kind: "user", value });
  const list = await s.admin.call<{ fingerprint: string; source: string }[]>("list_secrets");
  const added = list.find((l) => l.source === "api")!;
  const config = list.find((l) => l.source === "config")!;
  // Exactly one of value and fingerprint.
  const both = await s.admin.error("remove_secret", {
    kind: "user",
    value,
    fingerprint: added.fingerprint,
  });
  assertEquals(both.code, -32602);
  assert(both.message.includes("value or fingerprint"), both.message);
  assertEquals((await s.admin.error("remove_secret", { kind: "user" })).code, -32602);
  const malformed = await s.admin.error("remove_secret", { kind: "user", fingerprint: "abc" });
  assertEquals(malformed.code, -32602);
  // The wrong kind, an unknown fingerprint, a config secret.
  assertEquals(
    (await s.admin.error("remove_secret", { kind: "admin", fingerprint: added.fingerprint })).code,
    -32004,
  );
  assertEquals(
    (await s.admin.error("remove_secret", { kind: "user", fingerprint: "sha256:000000000000" }))
      .code,
    -32004,
  );
  const fromConfig = await s.admin.error("remove_secret", {
    kind: "admin",
    fingerprint: config.fingerprint,
  });
  assertEquals(fromConfig.code, -32009);
  assertEquals(
    await s.admin.call("remove_secret", { kind: "user", fingerprint: added.fingerprint }),
    null,
  );
  assertEquals((await new RpcCaller(s.url, value).error("jobs.list")).code, -32001);
});

Deno.test("whoami: each kind of secret learns its fingerprint and exactly its methods", async () => {
  await using s = await startSupervisor();
  const list = await s.admin.call<{ kind: string; fingerprint: string }[]>("list_secrets");
  for (const kind of ["admin", "user", "register"] as const) {
    const me = await new RpcCaller(s.url, SECRETS[kind]).call<
      { kind: string; fingerprint: string; methods: string[] }
    >("whoami");
    assertEquals(me.kind, kind);
    assertEquals(me.fingerprint, list.find((l) => l.kind === kind)!.fingerprint);
    const expected = methods.filter((m) => scopeAllows[m.scope].includes(kind)).map((m) => m.name);
    assertEquals(me.methods, expected);
    // What it lists, it may call: one method outside the list is refused.
    const outside = methods.find((m) => !me.methods.includes(m.name) && m.scope !== "public");
    if (outside) {
      assertEquals(
        (await new RpcCaller(s.url, SECRETS[kind]).error(outside.name, {})).code,
        -32002,
      );
    }
  }
  const register = await new RpcCaller(s.url, SECRETS.register).call<{ methods: string[] }>(
    "whoami",
  );
  assertEquals(register.methods, ["rpc.discover", "register_runner", "add_runner", "whoami"]);
  assertEquals((await new RpcCaller(s.url).error("whoami")).code, -32001);
});
