// Runs the client suite in Node on the installed package, as a package
// consumer would import it; prints one JSON line per case.
// Usage: node node_runner.mjs '{"url":...,"admin":...,"user":...,"runner":...}'
import * as client from "@hero-supervisor/client";
import { runSuite } from "./client_suite.mjs";

const env = JSON.parse(process.argv[2]);
const results = await runSuite(client, env, (result) => console.log(JSON.stringify(result)));
process.exitCode = results.every((r) => r.ok) ? 0 : 1;
