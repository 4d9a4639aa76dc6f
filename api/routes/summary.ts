// GET /v1/summary: the caller's fleet at a glance: aggregates per device type
// and metric, anomaly counts, and devices that went silent.
import { createRoute, z } from "@hono/zod-openapi";
import { queryAggregates } from "../flux/aggregates.js";
import { queryAnomalyCounts } from "../flux/anomalies.js";
import { devicesSince, queryDeviceList, typeMetricKey } from "../flux/devices.js";
import { errorResponses, scopeBody, security, siteFilterParam, sourceBody, start, stop } from "../schemas.js";
import { DURATION_FORMAT_HELP, formatDuration, parseDurationMs } from "../time-range.js";
import { badRequest } from "../errors.js";
import { DURATION_MAX_LENGTH, SILENT_AFTER_PATTERN } from "../patterns.js";
import { type RouteDeps, iso, lookbackRange, newRouter, rangeOf, scopeOf, siteScope } from "./common.js";

const SILENT_AFTER_HELP = `silent_after must be ${DURATION_FORMAT_HELP}, at least 1m`;
const silentAfter = z
  .string()
  .max(DURATION_MAX_LENGTH, SILENT_AFTER_HELP)
  .regex(SILENT_AFTER_PATTERN, SILENT_AFTER_HELP)
  .optional()
  .openapi({
    param: { name: "silent_after", in: "query" },
    description: `A device is silent when its newest reading is older than this (default 15m): ${DURATION_FORMAT_HELP}; at least 1m (a unit of minutes or more, or at least 60s or 60000ms). Devices are known by their readings within API_DEVICE_LOOKBACK (default 30d): a longer silent_after lists none as silent.`,
    example: "15m",
  });

export const groupBody = z
  .object({
    type: z.string(),
    metric: z.string(),
    devices: z.number().int(),
    mean: z.number().nullable(),
    min: z.number().nullable(),
    max: z.number().nullable(),
    stddev: z.number().nullable(),
    count: z.number().int(),
  })
  .openapi("TypeMetricAggregate");

const route = createRoute({
  method: "get",
  path: "/v1/summary",
  tags: ["fleet"],
  summary: "The caller's fleet: aggregates per type and metric, anomaly counts, silent devices",
  security,
  request: { query: z.object({ start: start(), stop, silent_after: silentAfter, site: siteFilterParam }) },
  responses: {
    200: {
      description: "Summary over start..stop; devices and silence over API_DEVICE_LOOKBACK",
      content: {
        "application/json": {
          schema: z.object({
            scope: scopeBody,
            start: z.string(),
            stop: z.string(),
            devices: z.object({
              total: z.number().int(),
              by_type: z.record(z.string(), z.number().int()),
              silent_after: z.string(),
              silent: z.array(
                z.object({
                  id: z.string(),
                  client: z.string(),
                  site: z.string().optional(),
                  type: z.string(),
                  last_seen: z.string(),
                }),
              ),
            }),
            metrics: z.array(groupBody),
            anomalies: z.object({
              total: z.number().int(),
              by_rule: z.array(z.object({ rule: z.string(), severity: z.string(), count: z.number().int() })),
            }),
            source: sourceBody,
          }),
        },
      },
    },
    ...errorResponses,
  },
});

export function summaryRouter(deps: RouteDeps) {
  return newRouter().openapi(route, async (c) => {
    const q = c.req.valid("query");
    const now = deps.now();
    const range = rangeOf(deps, q, "-1h", now);
    // The pattern validated it: at least 1m, under 50 years.
    const silentMs = q.silent_after === undefined ? 15 * 60_000 : parseDurationMs(q.silent_after);
    if (silentMs === undefined) throw badRequest("silent_after", SILENT_AFTER_HELP);
    const scope = siteScope(c.get("scope"), q.site);
    const lookback = lookbackRange(deps, now);
    // A range that ends where the lookback ends (stop defaults to now) and starts
    // inside it: the device list tells which devices contributed to each type and
    // metric (a series has a reading in the range exactly when its newest one is
    // at or after start), so the aggregates need not read every device's series
    // again to count them (15-25 % faster at 1,000 devices over a day or more).
    const devicesFromList = range.stopMs >= now && range.startMs >= lookback.startMs;
    // A stop in the future (an upstream clock ahead): the list reads up to it too.
    const listed = devicesFromList ? { ...lookback, stopMs: range.stopMs } : lookback;
    const [{ devices, series }, { groups, source }, counts] = await Promise.all([
      queryDeviceList(deps.flux, scope, listed),
      queryAggregates(deps.flux, scope, range, "type_and_metric", undefined, now, !devicesFromList),
      queryAnomalyCounts(deps.flux, scope, range),
    ]);
    const contributing = devicesFromList ? devicesSince(series, range.startMs) : undefined;
    const byType: Record<string, number> = {};
    for (const d of devices) byType[d.type] = (byType[d.type] ?? 0) + 1;
    const silent = devices
      .filter((d) => now - Date.parse(d.lastSeen) > silentMs)
      .map((d) => ({
        id: d.id,
        client: d.client,
        ...(d.site ? { site: d.site } : {}),
        type: d.type,
        last_seen: d.lastSeen,
      }));
    return c.json(
      {
        scope: scopeOf(c),
        start: iso(range.startMs),
        stop: iso(range.stopMs),
        devices: { total: devices.length, by_type: byType, silent_after: formatDuration(silentMs), silent },
        metrics: groups.map((g) => ({
          type: g.type ?? "",
          metric: g.metric,
          devices: (contributing ? contributing.get(typeMetricKey(g.type, g.metric)) : g.devices) ?? 0,
          mean: g.mean,
          min: g.min,
          max: g.max,
          stddev: g.stddev,
          count: g.count,
        })),
        anomalies: { total: counts.reduce((n, r) => n + r.count, 0), by_rule: counts },
        source,
      },
      200,
    );
  });
}
