// GET /v1/devices/{id}/stats: mean, min, max, stddev, count per metric of the
// raw readings in start..stop.
import { createRoute, z } from "@hono/zod-openapi";
import { queryAggregates } from "../flux/aggregates.js";
import {
  aggregateBody,
  clientParam,
  siteParam,
  conflictResponse,
  deviceParams,
  errorResponses,
  notFoundResponse,
  scopeBody,
  security,
  sourceBody,
  start,
  stop,
} from "../schemas.js";
import { type RouteDeps, deviceScope, iso, newRouter, rangeOf, requireDevice, scopeOf } from "./common.js";

const route = createRoute({
  method: "get",
  path: "/v1/devices/{id}/stats",
  tags: ["devices"],
  summary: "Statistics per metric of a device's readings over start..stop",
  security,
  request: {
    params: deviceParams,
    query: z.object({ client: clientParam, site: siteParam, start: start(), stop }),
  },
  responses: {
    200: {
      description: "Per metric: mean, min, max, sample stddev, count (metrics without readings are absent)",
      content: {
        "application/json": {
          schema: z.object({
            scope: scopeBody,
            device: z.string(),
            client: z.string(),
            type: z.string(),
            start: z.string(),
            stop: z.string(),
            metrics: z.record(z.string(), aggregateBody),
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

export function statsRouter(deps: RouteDeps) {
  return newRouter().openapi(route, async (c) => {
    const q = c.req.valid("query");
    const range = rangeOf(deps, q);
    const device = await requireDevice(deps, c.get("scope"), c.req.valid("param").id, q.client, q.site);
    const { groups, source } = await queryAggregates(
      deps.flux,
      deviceScope(device),
      range,
      "metric",
      device.id,
      deps.now(),
    );
    const metrics = Object.fromEntries(
      groups.map((g) => [
        g.metric,
        { mean: g.mean, min: g.min, max: g.max, stddev: g.stddev, count: g.count },
      ]),
    );
    return c.json(
      {
        scope: scopeOf(c),
        device: device.id,
        client: device.client,
        type: device.type,
        start: iso(range.startMs),
        stop: iso(range.stopMs),
        metrics,
        source,
      },
      200,
    );
  });
}
