/**
 * Configuration: defaults, overrides, the `[[actors]]` alias, and a clear
 * error naming the key for every bad config.
 */

import { ConfigSchema } from "../../server/config/config_schema.ts";
import { buildConfig, ConfigError, loadConfig } from "../../server/config/load_config.ts";
import { assert, assertEquals } from "../_helpers/assert.ts";

function errorOf(toml: string, env: Record<string, string> = {}): string {
  try {
    buildConfig(toml, "test.toml", env);
  } catch (error) {
    assert(error instanceof ConfigError, `a ConfigError, got ${error}`);
    return error.message;
  }
  throw new Error(`accepted:\n${toml}`);
}

Deno.test("bad configs are refused with a message that names the key", () => {
  const cases: [string, string][] = [
    ['port = "abc"', 'port: expected an integer 1-65535, got "abc"'],
    ["port = 70000", "port: expected an integer 1-65535, got 70000"],
    [
      'redis_url = "http://localhost"',
      'redis_url: expected a redis://, rediss:// or redis-sentinel://HOST:PORT/MASTER URL, got "http://localhost"',
    ],
    ['admin_secrets = "one"', 'admin_secrets: expected an array of strings, got "one"'],
    [
      'user_secrets = ["short"]',
      'user_secrets[0]: expected a secret of 12-512 characters, got "short"',
    ],
    [
      "prot = 3030",
      `config: unknown key "prot" (known: ${Object.keys(ConfigSchema.properties!).join(", ")})`,
    ],
    [
      'namespace = "a b"',
      'namespace: expected a namespace (1-64 letters, digits or _ . -), got "a b"',
    ],
    ['[[runners]]\nkind = "script"', "runners[0].name: required"],
    [
      '[[runners]]\nname = "r"\nkind = "docker"',
      'runners[0].kind: expected one of "script", "process", "service", "noop", got "docker"',
    ],
    [
      '[[runners]]\nname = "r"\ninstances = 0',
      "runners[0].instances: expected an integer 1-256, got 0",
    ],
    [
      '[[runners]]\nname = "r"\nrestart = "always"',
      'runners[0].restart: expected one of "permanent", "transient", "temporary", got "always"',
    ],
    [
      '[[runners]]\nname = "r"\npermissions = { read = "/tmp" }',
      'runners[0].permissions.read: expected true, false or an array of strings, got "/tmp"',
    ],
    [
      '[[runners]]\nname = "r"\nkind = "process"',
      'runners[0].binary_path: required when kind = "process"',
    ],
    [
      '[[runners]]\nname = "r"\n[[runners]]\nname = "r"',
      'runners[1].name: a runner named "r" is defined twice',
    ],
    [
      '[[runners]]\nname = "a"\ndepends_on = ["ghost"]',
      'runners[0].depends_on: no runner is named "ghost"',
    ],
    [
      '[[runners]]\nname = "a"\ndepends_on = ["c"]\n[[runners]]\nname = "b"\ndepends_on = ["a"]\n[[runners]]\nname = "c"\ndepends_on = ["b"]',
      "runners: depends_on forms a cycle: a -> c -> b -> a",
    ],
    ['sandbox_cgroups = "no"', 'sandbox_cgroups: expected true or false, got "no"'],
    [
      '[[runners]]\nname = "bad name"',
      'runners[0].name: expected a runner name (1-64 letters, digits or _ . -), got "bad name"',
    ],
    [
      "port = 3030\nport = 3031",
      "test.toml: not valid TOML (line 2, column 1): Invalid TOML document: trying to redefine an already defined table or value",
    ],
    [
      '[[runners]]\nname = "r"\n[[actors]]\nname = "s"',
      "actors: use either [[runners]] or [[actors]], not both",
    ],
  ];
  for (const [toml, message] of cases) assertEquals(errorOf(toml), message, toml);
});

Deno.test("environment overrides are checked and named", () => {
  assertEquals(
    errorOf("", { HERO_PORT: "abc" }),
    'HERO_PORT: expected an integer 1-65535, got "abc"',
  );
  const config = buildConfig("port = 1000", "t", {
    HERO_PORT: "4040",
    HERO_NAMESPACE: "ns1",
    HERO_ADMIN_SECRETS: "first-secret-abc, second-secret-def",
  });
  assertEquals(config.port, 4040);
  assertEquals(config.namespace, "ns1");
  assertEquals(config.admin_secrets, ["first-secret-abc", "second-secret-def"]);
});

Deno.test("defaults follow CONTRACT.md", () => {
  const config = buildConfig("", "t");
  assertEquals(config.bind_address, "127.0.0.1");
  assertEquals(config.port, 3030);
  assertEquals(config.namespace, "hero");
  assertEquals(config.data_dir, ".hero");
  assertEquals(config.redis_url, undefined);
  assertEquals(config.runners.map((r) => [r.name, r.kind]), [["default", "script"]]);
  assertEquals(config.log_lines, 10_000);
});

Deno.test("[[actors]] is an alias of [[runners]]: programs are services (the seed's other keys are ignored with a warning)", () => {
  const warnings: string[] = [];
  const config = buildConfig(
    '[[actors]]\nid = "sal_runner_1"\nname = "sal_runner_1"\nbinary_path = "/bin/true"\n' +
      'db_path = "/tmp/sal_db"\nredis_url = "redis://localhost:6379"\nprocess_manager = "simple"\n',
    "t",
    {},
    {},
    (w) => warnings.push(w),
  );
  assertEquals(config.runners, [{
    name: "sal_runner_1",
    binary_path: "/bin/true",
    process_manager: "simple",
    kind: "service",
  }]);
  assertEquals(warnings.length, 3);
});

Deno.test("the command line: flags override, unknown flags and unreadable files are errors", async () => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/c.toml`;
  await Deno.writeTextFile(file, "port = 1234\n");
  const config = await loadConfig(["--config", file, "--bind", "0.0.0.0"], {}, () => {});
  assertEquals([config!.port, config!.bind_address], [1234, "0.0.0.0"]);
  const bad = async (args: string[]) => {
    try {
      await loadConfig(args, {}, () => {});
    } catch (error) {
      return (error as Error).message.split("\n")[0];
    }
    throw new Error("accepted");
  };
  assertEquals(await bad(["--port", "x"]), '--port: expected an integer 1-65535, got "x"');
  assert((await bad(["--frobnicate"])).includes("Unknown option '--frobnicate'"));
  assert(
    (await bad(["--config", `${dir}/missing.toml`])).startsWith(
      `--config: cannot read ${dir}/missing.toml`,
    ),
  );
  assertEquals(await loadConfig(["--help"], {}, () => {}), null);
  await Deno.remove(dir, { recursive: true });
});
