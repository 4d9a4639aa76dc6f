// GET /v1/devices/{id}/anomalies: the events the ingester detected.
import { createRoute, z } from "@hono/zod-openapi";
import { queryAnomalies } from "../flux/anomalies.js";
import {
  anomalyBody,
  clientParam,
  siteParam,
  conflictResponse,
  deviceParams,
  errorResponses,
  limit,
  notFoundResponse,
  rule,
  scopeBody,
  security,
  start,
  stop,
} from "../schemas.js";
import { type RouteDeps, deviceScope, iso, newRouter, rangeOf, requireDevice, scopeOf } from "./common.js";

const route = createRoute({
  method: "get",
  path: "/v1/devices/{id}/anomalies",
  tags: ["devices"],
  summary: "Anomaly events of a device over start..stop, newest first",
  security,
  request: {
    params: deviceParams,
    query: z.object({ client: clientParam, site: siteParam, start: start(), stop, rule, limit }),
  },
  responses: {
    200: {
      description: "`total` events matched; the newest `limit` are listed",
      content: {
        "application/json": {
          schema: z.object({
            scope: scopeBody,
            device: z.string(),
            client: z.string(),
            start: z.string(),
            stop: z.string(),
            rule: z.string().nullable(),
            total: z.number().int(),
            events: z.array(anomalyBody),
          }),
        },
      },
    },
    ...errorResponses,
    ...notFoundResponse,
    ...conflictResponse,
  },
});

export function anomaliesRouter(deps: RouteDeps) {
  return newRouter().openapi(route, async (c) => {
    const q = c.req.valid("query");
    const range = rangeOf(deps, q);
    const device = await requireDevice(deps, c.get("scope"), c.req.valid("param").id, q.client, q.site);
    const { total, events } = await queryAnomalies(deps.flux, deviceScope(device), range, {
      device: device.id,
      ...(q.rule ? { rule: q.rule } : {}),
      limit: q.limit ?? 100,
    });
    return c.json(
      {
        scope: scopeOf(c),
        device: device.id,
        client: device.client,
        start: iso(range.startMs),
        stop: iso(range.stopMs),
        rule: q.rule ?? null,
        total,
        events,
      },
      200,
    );
  });
}
