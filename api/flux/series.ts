// One metric of one device, downsampled with aggregateWindow.
import { flux, fluxDuration, fluxExpression } from "@influxdata/influxdb-client";
import { MEASUREMENT, type Metric } from "../../shared/schema.js";
import { type TimeRange, formatDuration } from "../time-range.js";
import { type FluxContext, type Scope, scopeFilter, deviceFilter, num, rangeCall } from "./scope.js";

export const SERIES_FNS = ["mean", "min", "max", "last"] as const;
export type SeriesFn = (typeof SERIES_FNS)[number];

export interface SeriesPoint {
  time: string;
  value: number;
}

interface Row {
  _time: string;
  _value: unknown;
}

export async function querySeries(
  ctx: FluxContext,
  scope: Scope,
  device: string,
  metric: Metric,
  range: TimeRange,
  everyMs: number,
  fn: SeriesFn,
): Promise<SeriesPoint[]> {
  // fn comes from a closed enum; the lookup makes that explicit before it becomes code.
  const fnName = fluxExpression(({ mean: "mean", min: "min", max: "max", last: "last" } as const)[fn]);
  const rows = await ctx.runner.rows<Row>(flux`
    from(bucket: ${ctx.bucket})
      |> ${rangeCall(range)}
      |> filter(fn: (r) => r._measurement == ${MEASUREMENT.reading}${scopeFilter(scope)}${deviceFilter(device)} and r._field == ${metric})
      |> group(columns: ["_field"])
      |> aggregateWindow(every: ${fluxDuration(formatDuration(everyMs))}, fn: ${fnName}, createEmpty: false, timeSrc: "_start")
      |> keep(columns: ["_time", "_value"])`);
  const points: SeriesPoint[] = [];
  for (const r of rows) {
    const value = num(r._value);
    if (value !== null) points.push({ time: r._time, value });
  }
  return points.sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
}
