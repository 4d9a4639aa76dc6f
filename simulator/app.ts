// The Hono app: the upstream's endpoints (routes/upstream.ts) plus the /_sim/
// control endpoints (routes/control.ts), every answer JSON.
import { Hono } from "hono";
import { controlRouter } from "./routes/control.js";
import type { RequestCounts, SimEnv, SimulatorParts } from "./routes/common.js";
import { upstreamRouter } from "./routes/upstream.js";

export type { SimulatorParts } from "./routes/common.js";
export { HISTORY_LENGTH, MAX_HISTORY } from "./routes/upstream.js";

export function createSimulatorApp(parts: SimulatorParts): Hono<SimEnv> {
  const app = new Hono<SimEnv>();
  app.notFound((c) => c.json({ error: "Not found" }, 404));
  // Nothing should throw; if something does, the client still gets JSON.
  app.onError((err, c) => c.json({ error: `internal error: ${err.message}` }, 500));

  // Requests received on the upstream's endpoints, by kind: the benchmarks read
  // them to put two collectors' CPU on a per-request footing.
  const requests: RequestCounts = { list: 0, current: 0, history: 0 };
  app.use("*", async (c, next) => {
    const path = c.req.path;
    if (path.endsWith("/history")) requests.history++;
    else if (path === "/iot_objects" || path.startsWith("/iot_objects/by_client/")) requests.list++;
    else if (path.startsWith("/iot_objects/") || path.startsWith("/iot_data/")) requests.current++;
    await next();
  });

  // Control endpoints first, so the upstream routes' fault middleware never sees them.
  app.route("/_sim", controlRouter(parts, requests));
  app.route("/", upstreamRouter(parts));
  return app;
}
