// /_sim/: the simulator's control endpoints (request counts, configuration,
// faults, ground truth, memory). Never subject to faults.
import { Hono } from "hono";
import { MINUTE_MS, formatTimestamp, minuteOf, parseTimestamp } from "../clock.js";
import { faultPatchSchema } from "../faults.js";
import type { SimDevice } from "../fleet.js";
import { truthEntries } from "../truth.js";
import { type RequestCounts, type SimEnv, type SimulatorParts, answerBadRequest } from "./common.js";

/** Truth requests may scan at most this many device-slots (20-minute windows). */
const MAX_TRUTH_WORK = 2_000_000;
const DEFAULT_TRUTH_WINDOW_MIN = 60;

export function controlRouter(parts: SimulatorParts, requests: RequestCounts): Hono<SimEnv> {
  const { options, seed, fleet, now, faults } = parts;
  const sim = new Hono<SimEnv>();
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
      return answerBadRequest(c, "expected a JSON object of fault settings");
    }
    const parsed = faultPatchSchema.safeParse(body);
    if (!parsed.success)
      return answerBadRequest(
        c,
        parsed.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; "),
      );
    return c.json(faults.update(parsed.data));
  });
  sim.delete("/faults", (c) => c.json(faults.heal()));
  sim.get("/truth", (c) => {
    const q = c.req.query();
    const toMs = q.to === undefined ? now() : parseTimestamp(q.to);
    if (toMs === null) return answerBadRequest(c, "to: expected an ISO-8601 timestamp");
    const fromMs =
      q.from === undefined ? toMs - DEFAULT_TRUTH_WINDOW_MIN * MINUTE_MS : parseTimestamp(q.from);
    if (fromMs === null) return answerBadRequest(c, "from: expected an ISO-8601 timestamp");
    if (fromMs > toMs) return answerBadRequest(c, "from must not be after to");
    let devices: Iterable<SimDevice> = fleet.all();
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
      return answerBadRequest(c, "window too large for this many devices: narrow from/to or name a device");
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
  return sim;
}
