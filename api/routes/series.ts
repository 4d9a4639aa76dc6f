// GET /v1/devices/{id}/series: one metric downsampled with aggregateWindow,
// with a cap on the points one answer may hold.
import { createRoute, z } from "@hono/zod-openapi";
import { everyForSource, querySeriesAuto } from "../flux/rollup.js";
import { badRequest } from "../errors.js";
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
  seriesFn,
  sourceBody,
  start,
  stop,
} from "../schemas.js";
import { type TimeRange, autoEvery, formatDuration, parseEvery, windowCount } from "../time-range.js";
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

const route = createRoute({
  method: "get",
  path: "/v1/devices/{id}/series",
  tags: ["devices"],
  summary: "A metric of a device, downsampled (aggregateWindow); each point at its window's start",
  description:
    '`every` defaults to the smallest whole-second window (at least 1m) that keeps the answer within API_MAX_POINTS (default 1000) points; an explicit `every` that would exceed it is a 400. A range longer than API_ROLLUP_AFTER (default 7d) reads the hourly rollup (`source: "rollup"`): the default `every` is then rounded up to whole hours; an explicit `every` that is not whole hours, or `fn=last`, reads raw data.',
  security,
  request: {
    params: deviceParams,
    query: z.object({
      client: clientParam,
      site: siteParam,
      metric,
      start: start(),
      stop,
      every,
      fn: seriesFn,
    }),
  },
  responses: {
    200: {
      description: "The downsampled series, oldest first",
      content: {
        "application/json": {
          schema: z.object({
            scope: scopeBody,
            device: z.string(),
            client: z.string(),
            metric: z.string(),
            fn: z.string(),
            every: z.string(),
            start: z.string(),
            stop: z.string(),
            points: z.array(z.object({ time: z.string(), value: z.number() })),
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

/** `every` from the request (capped) or chosen to fit the cap. */
export function everyFor(text: string | undefined, range: TimeRange, maxPoints: number): number {
  if (text === undefined) return autoEvery(range, maxPoints);
  const ms = parseEvery(text);
  const windows = windowCount(range, ms);
  if (windows > maxPoints)
    throw badRequest(
      "every",
      `start..stop with every=${text} gives ${windows} points, more than the ${maxPoints} allowed: use every >= ${formatDuration(autoEvery(range, maxPoints, 1000))} or a shorter range`,
    );
  return ms;
}

export function seriesRouter(deps: RouteDeps) {
  return newRouter().openapi(route, async (c) => {
    const q = c.req.valid("query");
    const range = rangeOf(deps, q);
    const everyMs = everyForSource(
      deps.flux,
      range,
      everyFor(q.every, range, deps.limits.maxPoints),
      q.every !== undefined,
    );
    const device = await requireDevice(deps, c.get("scope"), c.req.valid("param").id, q.client, q.site);
    const m = q.metric ?? mainMetric(device.type);
    const { points, source } = await querySeriesAuto(
      deps.flux,
      deviceScope(device),
      device.id,
      m,
      range,
      everyMs,
      q.fn,
      deps.now(),
    );
    return c.json(
      {
        scope: scopeOf(c),
        device: device.id,
        client: device.client,
        metric: m,
        fn: q.fn,
        every: formatDuration(everyMs),
        start: iso(range.startMs),
        stop: iso(range.stopMs),
        points,
        source,
      },
      200,
    );
  });
}
