// The course's edge endpoints, kept for compatibility with its clients:
// GET /processed_data?object_id= and GET /client_statistics.
import { createRoute, z } from "@hono/zod-openapi";
import { queryAggregates } from "../flux/aggregates.js";
import { queryAnomalies } from "../flux/anomalies.js";
import {
  anomalyBody,
  clientParam,
  siteFilterParam,
  siteParam,
  conflictResponse,
  deviceId,
  errorResponses,
  notFoundResponse,
  scopeBody,
  security,
  sourceBody,
  start,
  stop,
} from "../schemas.js";
import {
  type RouteDeps,
  deviceScope,
  iso,
  newRouter,
  rangeOf,
  requireDevice,
  scopeOf,
  siteScope,
} from "./common.js";

/** Anomaly events listed by /processed_data; `anomaly_count` has them all. */
const PROCESSED_DATA_EVENTS = 100;

const courseAggregate = z
  .object({
    average: z.number().nullable(),
    max: z.number().nullable(),
    min: z.number().nullable(),
    count: z.number().int(),
  })
  .openapi("CourseAggregate");

const processedRoute = createRoute({
  method: "get",
  path: "/processed_data",
  tags: ["course"],
  summary: "The course's per-object figures: average, max, min and anomalies over start..stop",
  security,
  request: {
    query: z.object({
      object_id: deviceId.openapi({ param: { name: "object_id", in: "query", required: true } }),
      client: clientParam,
      site: siteParam,
      start: start(),
      stop,
    }),
  },
  responses: {
    200: {
      description: `Per metric figures; the newest ${PROCESSED_DATA_EVENTS} anomalies`,
      content: {
        "application/json": {
          schema: z.object({
            scope: scopeBody,
            object_id: z.string(),
            client: z.string(),
            site: z
              .string()
              .optional()
              .openapi({ description: "The object's edge site, when its points carry one" }),
            type: z.string(),
            start: z.string(),
            stop: z.string(),
            metrics: z.record(z.string(), courseAggregate),
            anomaly_count: z.number().int(),
            anomalies: z.array(anomalyBody),
            source: sourceBody,
          }),
        },
      },
    },
    ...errorResponses,
    ...notFoundResponse,
    ...conflictResponse,
  },
});

const clientStatsRoute = createRoute({
  method: "get",
  path: "/client_statistics",
  tags: ["course"],
  summary: "The course's per-client aggregates over all the client's objects, per type and metric",
  security,
  request: { query: z.object({ start: start(), stop, site: siteFilterParam }) },
  responses: {
    200: {
      description: "One entry per device type and metric; an admin key aggregates every client",
      content: {
        "application/json": {
          schema: z.object({
            scope: scopeBody,
            client: z.string().nullable(),
            start: z.string(),
            stop: z.string(),
            statistics: z.array(
              courseAggregate.extend({ type: z.string(), metric: z.string(), objects: z.number().int() }),
            ),
            source: sourceBody,
          }),
        },
      },
    },
    ...errorResponses,
  },
});

export function courseRouter(deps: RouteDeps) {
  return newRouter()
    .openapi(processedRoute, async (c) => {
      const q = c.req.valid("query");
      const range = rangeOf(deps, q);
      const scope = c.get("scope");
      const device = await requireDevice(deps, scope, q.object_id, q.client, q.site);
      const [{ groups, source }, anomalies] = await Promise.all([
        queryAggregates(deps.flux, deviceScope(device), range, "metric", device.id, deps.now()),
        queryAnomalies(deps.flux, deviceScope(device), range, {
          device: device.id,
          limit: PROCESSED_DATA_EVENTS,
        }),
      ]);
      return c.json(
        {
          scope: scopeOf(c),
          object_id: device.id,
          client: device.client,
          ...(device.site ? { site: device.site } : {}),
          type: device.type,
          start: iso(range.startMs),
          stop: iso(range.stopMs),
          metrics: Object.fromEntries(
            groups.map((g) => [g.metric, { average: g.mean, max: g.max, min: g.min, count: g.count }]),
          ),
          anomaly_count: anomalies.total,
          anomalies: anomalies.events,
          source,
        },
        200,
      );
    })
    .openapi(clientStatsRoute, async (c) => {
      const q = c.req.valid("query");
      const range = rangeOf(deps, q);
      const scope = siteScope(c.get("scope"), q.site);
      const { groups, source } = await queryAggregates(
        deps.flux,
        scope,
        range,
        "type_and_metric",
        undefined,
        deps.now(),
      );
      return c.json(
        {
          scope: scopeOf(c),
          client: scope.client,
          start: iso(range.startMs),
          stop: iso(range.stopMs),
          statistics: groups.map((g) => ({
            type: g.type ?? "",
            metric: g.metric,
            objects: g.devices ?? 0,
            average: g.mean,
            max: g.max,
            min: g.min,
            count: g.count,
          })),
          source,
        },
        200,
      );
    });
}
