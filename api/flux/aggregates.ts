// Mean, min, max, sample stddev and count of raw `reading` values over a
// range, grouped by metric (one device) or by device type and metric (a fleet).
import { flux, fluxExpression } from "@influxdata/influxdb-client";
import { MEASUREMENT, TAG } from "../../shared/schema.js";
import type { TimeRange } from "../time-range.js";
import { type FluxContext, type Scope, clientFilter, deviceFilter, num, rangeCall } from "./scope.js";

export interface Aggregate {
  mean: number | null;
  min: number | null;
  max: number | null;
  stddev: number | null;
  count: number;
}

export interface GroupAggregate extends Aggregate {
  type: string | null;
  metric: string;
  /** Devices that contributed (fleet queries only). */
  devices?: number;
}

interface Row {
  result: string;
  _field: string;
  type?: string;
  _value: unknown;
}

const STATS = ["count", "mean", "min", "max", "stddev"] as const;

export async function queryAggregates(
  ctx: FluxContext,
  scope: Scope,
  range: TimeRange,
  by: "metric" | "type_and_metric",
  device?: string,
): Promise<GroupAggregate[]> {
  const columns = by === "metric" ? ["_field"] : [TAG.type, "_field"];
  // The device count per group is only meaningful across a fleet.
  const devicesYield =
    by === "type_and_metric"
      ? flux`
    data |> group(columns: [${TAG.type}, "_field", ${TAG.device}]) |> count() |> group(columns: [${TAG.type}, "_field"]) |> count() |> yield(name: "devices")`
      : flux``;
  const rows = await ctx.runner.rows<Row>(flux`
    data = from(bucket: ${ctx.bucket})
      |> ${rangeCall(range)}
      |> filter(fn: (r) => r._measurement == ${MEASUREMENT.reading}${clientFilter(scope)}${deviceFilter(device)})
      |> group(columns: ${columns})
    ${fluxExpression(STATS.map((s) => `data |> ${s}() |> yield(name: "${s}")`).join("\n    "))}${devicesYield}`);
  const groups = new Map<string, GroupAggregate>();
  for (const r of rows) {
    const type = by === "metric" ? null : (r.type ?? null);
    const key = `${type ?? ""}\u0000${r._field}`;
    let g = groups.get(key);
    if (!g) {
      g = { type, metric: r._field, mean: null, min: null, max: null, stddev: null, count: 0 };
      groups.set(key, g);
    }
    const v = num(r._value);
    if (r.result === "count") g.count = v ?? 0;
    else if (r.result === "devices") g.devices = v ?? 0;
    else if (r.result === "mean" || r.result === "min" || r.result === "max" || r.result === "stddev")
      g[r.result] = v;
  }
  return [...groups.values()]
    .filter((g) => g.count > 0)
    .sort((a, b) => `${a.type ?? ""}/${a.metric}`.localeCompare(`${b.type ?? ""}/${b.metric}`));
}
