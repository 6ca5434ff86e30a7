import { createClient } from "redis";
const c = createClient({ url: "redis://127.0.0.1:6379", disableOfflineQueue: true });
c.on("error", (e) => console.log("err evt", e.message));
await c.connect();
try { await c.evalSha("0000000000000000000000000000000000000000", { keys: [], arguments: ["a"] }); } catch (e) { console.log("nosha:", e.constructor.name, e.message); }
console.log(await c.eval("return {1, {'a','b'}, ARGV[1]}", { keys: [], arguments: ["x"] }));
console.log(await c.sendCommand(["ECHO", "hi"]));
const sub = c.duplicate(); sub.on("error", ()=>{}); await sub.connect();
await sub.subscribe("tst:chan", (m) => console.log("got", m));
await c.publish("tst:chan", "hello");
await new Promise(r => setTimeout(r, 50));
await sub.unsubscribe(); await sub.close?.() ?? sub.quit(); 
console.log(Object.keys(await import("redis")).slice(0,40).join(" "));
await c.close?.() ?? c.quit();
