// GET /v1/devices/{id}/trend: slope per hour of the downsampled series
// (least-squares line with simple-statistics) and its direction.
import { createRoute, z } from "@hono/zod-openapi";
import { linearRegression, linearRegressionLine, mean, rSquared } from "simple-statistics";
import { everyForSource, querySeriesAuto } from "../flux/rollup.js";
import type { SeriesPoint } from "../flux/series.js";
import {
  clientParam,
  siteParam,
  conflictResponse,
  deviceParams,
  errorResponses,
  every,
  metric,
  notFoundResponse,
  scopeBody,
  security,
  sourceBody,
  start,
} from "../schemas.js";
import { formatDuration } from "../time-range.js";
import {
  type RouteDeps,
  deviceScope,
  iso,
  mainMetric,
  newRouter,
  rangeOf,
  requireDevice,
  scopeOf,
} from "./common.js";
import { everyFor } from "./series.js";

/** The trend's default window. */
const TREND_EVERY_MS = 10 * 60_000;

/** Below this change over the whole window, relative to the mean level, a trend is "flat". */
export const FLAT_RELATIVE_CHANGE = 0.01;

export interface Trend {
  slopePerHour: number | null;
  r2: number | null;
  direction: "rising" | "falling" | "flat" | "unknown";
}

/** Pure: the regression of value on hours since the first point. */
export function trendOf(points: readonly SeriesPoint[]): Trend {
  if (points.length < 2) return { slopePerHour: null, r2: null, direction: "unknown" };
  const t0 = Date.parse(points[0]!.time);
  const xy = points.map((p) => [(Date.parse(p.time) - t0) / 3_600_000, p.value]);
  const line = linearRegression(xy);
  const r2 = rSquared(xy, linearRegressionLine(line));
  const spanHours = xy.at(-1)![0]! - xy[0]![0]!;
  const level = Math.abs(mean(points.map((p) => p.value)));
  const change = Math.abs(line.m * spanHours);
  const direction =
    change <= FLAT_RELATIVE_CHANGE * Math.max(level, Number.EPSILON)
      ? "flat"
      : line.m > 0
        ? "rising"
        : "falling";
  return { slopePerHour: line.m, r2: Number.isFinite(r2) ? r2 : null, direction };
}

const route = createRoute({
  method: "get",
  path: "/v1/devices/{id}/trend",
  tags: ["devices"],
  summary: "Trend of a metric from start to now: slope per hour and direction",
  description: `Linear regression (simple-statistics) over the series downsampled with mean per \`every\` (default 10m, or the smallest step that keeps the range within API_MAX_POINTS; whole hours when start is further back than API_ROLLUP_AFTER, default 7d: then complete hours are read from the hourly rollup, \`source: "rollup+raw"\`). direction is "flat" when the fitted change over the window is within ${FLAT_RELATIVE_CHANGE * 100} % of the mean level, "unknown" below 2 points.`,
  security,
  request: {
    params: deviceParams,
    query: z.object({ client: clientParam, site: siteParam, metric, start: start("-6h"), every }),
  },
  responses: {
    200: {
      description: "The trend",
      content: {
        "application/json": {
          schema: z.object({
            scope: scopeBody,
            device: z.string(),
            client: z.string(),
            metric: z.string(),
            start: z.string(),
            stop: z.string(),
            every: z.string(),
            points: z.number().int(),
            slope_per_hour: z.number().nullable(),
            r2: z.number().nullable(),
            direction: z.enum(["rising", "falling", "flat", "unknown"]),
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

export function trendRouter(deps: RouteDeps) {
  return newRouter().openapi(route, async (c) => {
    const q = c.req.valid("query");
    const range = rangeOf(deps, { start: q.start }, "-6h");
    // A long range without an explicit every: automatic, whole hours (rollup) instead of 10m windows.
    // Default: 10m, or the smallest step that keeps any accepted range within API_MAX_POINTS.
    const everyMs =
      q.every === undefined
        ? everyForSource(
            deps.flux,
            range,
            Math.max(TREND_EVERY_MS, everyFor(undefined, range, deps.limits.maxPoints)),
            false,
          )
        : everyFor(q.every, range, deps.limits.maxPoints);
    const device = await requireDevice(deps, c.get("scope"), c.req.valid("param").id, q.client, q.site);
    const m = q.metric ?? mainMetric(device.type);
    const { points, source } = await querySeriesAuto(
      deps.flux,
      deviceScope(device),
      device.id,
      m,
      range,
      everyMs,
      "mean",
      deps.now(),
    );
    const t = trendOf(points);
    return c.json(
      {
        scope: scopeOf(c),
        device: device.id,
        client: device.client,
        metric: m,
        start: iso(range.startMs),
        stop: iso(range.stopMs),
        every: formatDuration(everyMs),
        points: points.length,
        slope_per_hour: t.slopePerHour,
        r2: t.r2,
        direction: t.direction,
        source,
      },
      200,
    );
  });
}
