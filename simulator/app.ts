// The Hono app: the upstream's endpoints, byte-compatible in shape, plus the
// /_sim/ control endpoints (never subject to faults).
import type { HttpBindings } from "@hono/node-server";
import { Hono, type Context } from "hono";
import { MINUTE_MS, formatTimestamp, minuteOf, parseTimestamp, type Now } from "./clock.js";
import { type FaultInjector, faultPatchSchema, type PayloadKind } from "./faults.js";
import type { Device, Fleet } from "./fleet.js";
import type { ResolvedOptions } from "./options.js";
import type { Readings } from "./readings.js";
import { truthEntries } from "./truth.js";

type Env = { Bindings: HttpBindings };

export interface SimulatorParts {
  options: ResolvedOptions;
  seed: number;
  fleet: Fleet;
  now: Now;
  readings: Readings;
  faults: FaultInjector;
}

export const HISTORY_LENGTH = 10;
export const MAX_HISTORY = 10_000;
/** Truth requests may scan at most this many device-slots (20-minute windows). */
const MAX_TRUTH_WORK = 2_000_000;
const DEFAULT_TRUTH_WINDOW_MIN = 60;

const WELCOME = {
  message: "Bienvenue sur l'API de simulation d'objets connectés (IoT).",
  hint: "Essayez /iot_objects pour la liste des objets, /iot_objects/<id> pour une mesure et /iot_objects/<id>/history pour l'historique.",
};

const describe = (d: Device) => ({ id: d.id, client: d.client, type: d.type });

function badRequest(c: Context, error: string) {
  return c.json({ error }, 400);
}

export function createSimulatorApp(parts: SimulatorParts): Hono<Env> {
  const { options, seed, fleet, now, readings, faults } = parts;
  const app = new Hono<Env>();

  const send = (c: Context, payload: unknown, kind: PayloadKind) =>
    c.body(faults.render(payload, kind), 200, { "Content-Type": "application/json" });

  app.notFound((c) => c.json({ error: "Not found" }, 404));
  // Nothing should throw; if something does, the client still gets JSON.
  app.onError((err, c) => c.json({ error: `internal error: ${err.message}` }, 500));

  // Requests received on the upstream's endpoints, by kind: the benchmarks read
  // them to put two collectors' CPU on a per-request footing.
  const requests = { list: 0, current: 0, history: 0 };
  app.use("*", async (c, next) => {
    const path = c.req.path;
    if (path.endsWith("/history")) requests.history++;
    else if (path === "/iot_objects" || path.startsWith("/iot_objects/by_client/")) requests.list++;
    else if (path.startsWith("/iot_objects/") || path.startsWith("/iot_data/")) requests.current++;
    await next();
  });

  // ---- control endpoints, registered first so fault middleware never sees them ----
  const sim = new Hono<Env>();
  sim.get("/requests", (c) =>
    c.json({ ...requests, total: requests.list + requests.current + requests.history }),
  );
  sim.get("/config", (c) =>
    c.json({
      mode: options.signal,
      seed,
      fleet: fleet.kind,
      devices: fleet.size,
      clients: fleet.clients,
      timeScale: options.timeScale,
      anomalyRate: options.signal === "realistic" ? options.anomalyRate : 0,
      historyQuery: options.historyQuery,
      now: formatTimestamp(now()),
    }),
  );
  sim.get("/faults", (c) => c.json(faults.config));
  sim.post("/faults", async (c) => {
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return badRequest(c, "expected a JSON object of fault settings");
    }
    const parsed = faultPatchSchema.safeParse(body);
    if (!parsed.success)
      return badRequest(
        c,
        parsed.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; "),
      );
    return c.json(faults.update(parsed.data));
  });
  sim.delete("/faults", (c) => c.json(faults.heal()));
  sim.get("/truth", (c) => {
    const q = c.req.query();
    const toMs = q.to === undefined ? now() : parseTimestamp(q.to);
    if (toMs === null) return badRequest(c, "to: expected an ISO-8601 timestamp");
    const fromMs =
      q.from === undefined ? toMs - DEFAULT_TRUTH_WINDOW_MIN * MINUTE_MS : parseTimestamp(q.from);
    if (fromMs === null) return badRequest(c, "from: expected an ISO-8601 timestamp");
    if (fromMs > toMs) return badRequest(c, "from must not be after to");
    let devices: Iterable<Device> = fleet.all();
    let count = fleet.size;
    if (q.device !== undefined) {
      const device = fleet.byId(q.device);
      if (!device) return c.json({ error: "Device not found" }, 404);
      devices = [device];
      count = 1;
    }
    const fromMin = minuteOf(fromMs);
    const toMin = minuteOf(toMs);
    if (count * ((toMin - fromMin) / 20 + 2) > MAX_TRUTH_WORK)
      return badRequest(c, "window too large for this many devices: narrow from/to or name a device");
    if (options.signal !== "realistic") return c.json({ anomalies: [] });
    return c.json({ anomalies: truthEntries(seed, devices, fromMin, toMin, options.anomalyRate) });
  });
  // Lets the scale test measure memory after a full GC; only under `node --expose-gc`.
  sim.get("/memory", (c) => c.json(process.memoryUsage()));
  sim.post("/gc", (c) => {
    const gc = (globalThis as { gc?: () => void }).gc;
    if (typeof gc !== "function") return c.json({ error: "start node with --expose-gc to enable" }, 404);
    gc();
    return c.json(process.memoryUsage());
  });
  app.route("/_sim", sim);

  // ---- the upstream's endpoints ----
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
          return badRequest(c, `limit: expected an integer in 1..${MAX_HISTORY}`);
        count = Number(limit);
      }
      if (sinceText !== undefined) {
        const parsed = parseTimestamp(sinceText);
        if (parsed === null) return badRequest(c, "since: expected an ISO-8601 timestamp");
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
