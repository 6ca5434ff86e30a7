import * as r from "redis";
console.log(Object.keys(r).filter(k => /Error/.test(k)).join(" "));
const c = r.createClient({ url: "redis://127.0.0.1:6399", disableOfflineQueue: true, socket: { reconnectStrategy: (n) => n > 3 ? new Error("give up") : 100, connectTimeout: 500 } });
c.on("error", (e) => console.log("err evt", e.constructor.name, e.message));
const t0 = Date.now();
try { await c.connect(); } catch (e) { console.log("connect failed after", Date.now() - t0, e.constructor.name, e.message); }
