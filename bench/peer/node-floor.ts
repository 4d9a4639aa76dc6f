// The floor under any Node.js collector, run by the peer scenario beside the
// ingester and Telegraf: each period, the requests the ingester makes (the
// fleet list, then each device's history and current reading, 16 in flight,
// a keep-alive agent like the ingester's) through node:http, and JSON.parse of
// each answer; nothing validated, nothing stored. The ingester's CPU per
// request reads against it: what is above the floor is the ingester's own.
import { Agent, get } from "node:http";
import pLimit from "p-limit";

const base = process.env.FLOOR_UPSTREAM_URL ?? "http://127.0.0.1:5001";
const periodMs = Number(process.env.FLOOR_PERIOD_S ?? "60") * 1000;
const agent = new Agent({ keepAlive: true, maxSockets: 64 });
const limit = pLimit(16);
const log = (msg: string, extra: Record<string, unknown> = {}) =>
  process.stdout.write(`${JSON.stringify({ level: 30, time: Date.now(), msg, ...extra })}\n`);

function getJson(path: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    get(`${base}${path}`, { agent, headers: { Accept: "application/json" } }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => {
        try {
          resolve(JSON.parse(body));
        } catch (err) {
          reject(new Error(`malformed JSON from ${path}`, { cause: err }));
        }
      });
    }).on("error", reject);
  });
}

async function gather(): Promise<void> {
  const started = performance.now();
  const devices = (await getJson("/iot_objects")) as { id: string }[];
  await Promise.all(
    devices.map(({ id }) =>
      limit(async () => {
        await getJson(`/iot_objects/${encodeURIComponent(id)}/history`);
        await getJson(`/iot_objects/${encodeURIComponent(id)}`);
      }),
    ),
  );
  log("cycle done", { devices: devices.length, ms: Math.round(performance.now() - started) });
}

let running: Promise<void> | undefined;
const tick = () => {
  // One gather at a time, as the ingester's scheduler: a late one skips a period.
  running ??= gather()
    .catch((err: unknown) => {
      log("cycle failed", { err: String(err) });
    })
    .finally(() => {
      running = undefined;
    });
};
const timer = setInterval(tick, periodMs);
tick();
log("floor started", { base, periodMs });
process.once("SIGTERM", () => {
  clearInterval(timer);
  void (running ?? Promise.resolve()).then(() => process.exit(0));
});
