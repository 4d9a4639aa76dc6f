// The upstream's endpoints, byte-compatible in shape: the welcome message,
// the device list (all, or by client), a device's current reading (at
// /iot_objects/{id} and at the course's /iot_data/{id}) and its history.
import { type Context, Hono } from "hono";
import { MINUTE_MS, formatTimestamp, parseTimestamp } from "../clock.js";
import type { PayloadKind } from "../faults.js";
import type { SimDevice } from "../fleet.js";
import { type SimEnv, type SimulatorParts, answerBadRequest } from "./common.js";

export const HISTORY_LENGTH = 10;
export const MAX_HISTORY = 10_000;

const WELCOME = {
  message: "Bienvenue sur l'API de simulation d'objets connectés (IoT).",
  hint: "Essayez /iot_objects pour la liste des objets, /iot_objects/<id> pour une mesure et /iot_objects/<id>/history pour l'historique.",
};

const describe = (d: SimDevice) => ({ id: d.id, client: d.client, type: d.type });

export function upstreamRouter(parts: SimulatorParts): Hono<SimEnv> {
  const { options, fleet, now, readings, faults } = parts;
  const app = new Hono<SimEnv>();
  const send = (c: Context, payload: unknown, kind: PayloadKind) =>
    c.body(faults.render(payload, kind), 200, { "Content-Type": "application/json" });

  // Faults apply per route: a middleware on a mounted sub-app would also catch /_sim/.
  const faulty = faults.middleware();

  app.get("/", faulty, (c) => c.json(WELCOME));
  app.get("/iot_objects", faulty, (c) => {
    const list: ReturnType<typeof describe>[] = [];
    for (const d of fleet.all()) list.push(describe(d));
    return send(c, list, "list");
  });
  app.get("/iot_objects/by_client/:client", faulty, (c) => {
    const devices = fleet.byClient(c.req.param("client"));
    if (devices.length === 0) return c.json({ error: "No devices found for this client" }, 404);
    return send(c, devices.map(describe), "list");
  });

  const reading = (c: Context) => {
    const device = fleet.byId(c.req.param("id") ?? "");
    if (!device) return c.json({ error: "Device not found" }, 404);
    const t = now();
    return send(
      c,
      { ...describe(device), metrics: readings.metrics(device, t), timestamp: formatTimestamp(t) },
      "reading",
    );
  };
  app.get("/iot_objects/:id", faulty, reading);
  app.get("/iot_data/:id", faulty, reading);

  app.get("/iot_objects/:id/history", faulty, (c) => {
    const device = fleet.byId(c.req.param("id"));
    if (!device) return c.json({ error: "Device not found" }, 404);
    const t = now();
    let count = HISTORY_LENGTH;
    let since = -Infinity;
    if (options.historyQuery) {
      const { limit, since: sinceText } = c.req.query();
      if (limit !== undefined) {
        if (!/^\d{1,6}$/.test(limit) || Number(limit) < 1 || Number(limit) > MAX_HISTORY)
          return answerBadRequest(c, `limit: expected an integer in 1..${MAX_HISTORY}`);
        count = Number(limit);
      }
      if (sinceText !== undefined) {
        const parsed = parseTimestamp(sinceText);
        if (parsed === null) return answerBadRequest(c, "since: expected an ISO-8601 timestamp");
        since = parsed;
        if (limit === undefined) count = MAX_HISTORY;
      }
    }
    const history: { timestamp: string; value: number }[] = [];
    for (let k = 0; k < count; k++) {
      const at = t - k * MINUTE_MS;
      if (at <= since) break;
      history.push({ timestamp: formatTimestamp(at), value: readings.historyValue(device, at) });
    }
    return send(c, { ...describe(device), history }, "history");
  });

  return app;
}
