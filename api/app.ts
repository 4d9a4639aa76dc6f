// Builds the API: global middleware (metrics, errors), unauthenticated
// operational routes, then authentication and the per-key rate limit in front
// of every data route. Every route is declared with @hono/zod-openapi, so
// /openapi.json is generated from the same schemas that validate requests.
import { OpenAPIHono, createRoute, z } from "@hono/zod-openapi";
import type { Logger } from "../shared/log.js";
import type { KeyStore } from "./auth/keys.js";
import type { ApiContext } from "./context.js";
import type { FluxContext } from "./flux/scope.js";
import type { ApiMetrics } from "./metrics.js";
import { authenticate } from "./middleware/auth.js";
import { errorHandler, notFoundHandler, validationHook } from "./middleware/errors.js";
import { recordMetrics } from "./middleware/metrics.js";
import { rateLimit } from "./middleware/rate-limit.js";
import { RateLimiter } from "./rate-limit.js";
import { anomaliesRouter } from "./routes/anomalies.js";
import type { ApiLimits, RouteDeps } from "./routes/common.js";
import { courseRouter } from "./routes/course.js";
import { devicesRouter } from "./routes/devices.js";
import { docsRouter } from "./routes/docs.js";
import { healthRouter } from "./routes/health.js";
import { seriesRouter } from "./routes/series.js";
import { statsRouter } from "./routes/stats.js";
import { summaryRouter } from "./routes/summary.js";
import { trendRouter } from "./routes/trend.js";
import { requestSignal } from "./flux/run.js";

export interface AppDeps {
  flux: FluxContext;
  keys: KeyStore;
  limits: ApiLimits;
  rateLimitPerMin: number;
  metrics: ApiMetrics;
  log: Logger;
  now?: () => number;
}

/** Path prefixes that need an API key. */
export const AUTHENTICATED_PATHS = ["/v1/*", "/processed_data", "/client_statistics"] as const;

export const OPENAPI_INFO = {
  openapi: "3.0.3",
  info: {
    title: "IoT edge-to-cloud API",
    version: "1.0.0",
    description:
      "Per-client read access to the readings, statistics and anomalies the ingester stored in InfluxDB. " +
      "Send your key as `x-api-key` or `Authorization: Bearer`. A client key sees only its own devices; a device of " +
      "another client answers exactly like one that does not exist. An admin key reads every client " +
      "(answers carry `scope.admin: true`); a device is the pair (client, id): when several clients hold an id, an " +
      "admin names one with the `client` parameter (without it: 409 listing them). With edge sites feeding one " +
      "InfluxDB a device is (site, client, id): the `site` parameter names one when several sites hold an id. " +
      'Errors are JSON `{"error", "message", "parameter"?}`, those of the HTTP layer too: the request line and headers ' +
      "may take at most 16 KiB together (431). Each parameter's schema is its validation; only the rules between " +
      "parameters (start before stop, the range cap, the point cap) are in the descriptions.",
  },
};

export function createApp(deps: AppDeps): OpenAPIHono<ApiContext> {
  const now = deps.now ?? Date.now;
  const routeDeps: RouteDeps = { flux: deps.flux, limits: deps.limits, now };
  const app = new OpenAPIHono<ApiContext>({ defaultHook: validationHook });

  app.openAPIRegistry.registerComponent("securitySchemes", "ApiKey", {
    type: "apiKey",
    in: "header",
    name: "x-api-key",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "Bearer", { type: "http", scheme: "bearer" });

  app.use("*", recordMetrics(deps.metrics));
  // Queries made for a request are cancelled in InfluxDB when its client hangs up.
  app.use("*", (c, next) => requestSignal.run(c.req.raw.signal, next));
  app.onError(errorHandler(deps.log));
  app.notFound(notFoundHandler);

  const limiter = new RateLimiter(deps.rateLimitPerMin);
  for (const path of AUTHENTICATED_PATHS) app.use(path, authenticate(deps.keys), rateLimit(limiter, now));

  app.route("/", healthRouter(routeDeps, deps.metrics));
  app.route("/", devicesRouter(routeDeps));
  app.route("/", statsRouter(routeDeps));
  app.route("/", seriesRouter(routeDeps));
  app.route("/", trendRouter(routeDeps));
  app.route("/", anomaliesRouter(routeDeps));
  app.route("/", summaryRouter(routeDeps));
  app.route("/", courseRouter(routeDeps));
  app.route("/", docsRouter());

  app.openapi(
    createRoute({
      method: "get",
      path: "/openapi.json",
      tags: ["operations"],
      summary: "This OpenAPI 3 document, generated from the route definitions",
      responses: {
        200: {
          description: "OpenAPI 3 document",
          content: { "application/json": { schema: z.record(z.string(), z.unknown()) } },
        },
      },
    }),
    (c) => c.json(app.getOpenAPIDocument(OPENAPI_INFO) as unknown as Record<string, unknown>, 200),
  );
  return app;
}
