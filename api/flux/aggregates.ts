// Mean, min, max, sample stddev and count of `reading` values over a range,
// grouped by metric (one device) or by device type and metric (a fleet).
// Whole complete hours come from the hourly rollup, the rest from raw data
// (sources.ts); each part yields counts (and contributing devices, unless the
// caller knows them), sums, sums of squares (a raw part: its stddev), mins and
// maxes per group, which combine exactly. Every branch filters before group().
import { type ParameterizedQuery, flux, fluxExpression } from "@influxdata/influxdb-client";
import { MEASUREMENT, ROLLUP_FIELD, TAG } from "../../shared/schema.js";
import type { TimeRange } from "../time-range.js";
import { type FluxContext, type Scope, scopeFilter, deviceFilter, num, rangeCall } from "./scope.js";
import { deviceKey, typeMetricKey } from "./devices.js";
import { isMissingBucket } from "./rollup.js";
import { type Source, type SourcePlan, planSources } from "./sources.js";

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
  /** Devices (site, client, id) that contributed (fleet queries only). */
  devices?: number;
}

export interface AggregateResult {
  groups: GroupAggregate[];
  /** Which store answered. */
  source: Source;
}

/** Exactly combinable figures of one group. */
interface Moments {
  type: string | null;
  metric: string;
  count: number;
  sum: number;
  sumSq: number;
  min: number | null;
  max: number | null;
  devices: Set<string>;
}

interface Row {
  result: string;
  _field?: string;
  site?: string | null;
  type?: string;
  metric?: string;
  client?: string;
  device?: string;
  _value: unknown;
}

type By = "metric" | "type_and_metric";

/**
 * Raw part: the metric is the field. One read, five aggregates: per-device
 * counts (the count, and how many devices contributed), sum, min, max and
 * stddev (with count and sum, the exact sum of squares). Each branch groups
 * the ungrouped stream once; InfluxDB answers this in one pass over the
 * series, 1.3-2x faster than five separate pushed-down reads at 1,000 devices
 * over 1 h to 24 h (the per-series cost of a read dominates, not the points).
 */
function rawQuery(
  ctx: FluxContext,
  scope: Scope,
  range: TimeRange,
  by: By,
  device: string | undefined,
  countDevices: boolean,
) {
  const group = by === "metric" ? ["_field"] : [TAG.type, "_field"];
  const branch = (name: string, tail: ParameterizedQuery) =>
    flux`data
      ${tail}
      |> yield(name: ${name})
`;
  const byGroup = (fn: string) => flux`|> group(columns: ${group}) |> ${fluxExpression(fn)}()`;
  return flux`data = from(bucket: ${ctx.bucket})
      |> ${rangeCall(range)}
      |> filter(fn: (r) => r._measurement == ${MEASUREMENT.reading}${scopeFilter(scope)}${deviceFilter(device)})
${countDevices ? branch("dev_count", flux`|> group(columns: ${[...group, TAG.site, TAG.client, TAG.device]}) |> count()`) : branch("count", byGroup("count"))}${branch("sum", byGroup("sum"))}${branch("min", byGroup("min"))}${branch("max", byGroup("max"))}${branch("stddev", byGroup("stddev"))}`;
}

/**
 * Rollup part: the metric is the `metric` tag, each figure a field summed (or
 * min/max) over the hours. A fleet (every device of the scope) reads its
 * figures from the per-client hourly rows, tens of series instead of every
 * device's, and only which devices contributed from the per-device rows.
 */
function rollupQuery(
  ctx: FluxContext & { rollup: NonNullable<FluxContext["rollup"]> },
  scope: Scope,
  range: TimeRange,
  by: By,
  device: string | undefined,
  countDevices: boolean,
) {
  const group = by === "metric" ? [TAG.metric] : [TAG.type, TAG.metric];
  const fleet = by === "type_and_metric" && device === undefined;
  const field = (measurement: string, f: string) => flux`from(bucket: ${ctx.rollup.bucket})
      |> ${rangeCall(range)}
      |> filter(fn: (r) => r._measurement == ${measurement}${scopeFilter(scope)}${deviceFilter(device)} and r._field == ${f})`;
  const figures = fleet ? MEASUREMENT.readingHourlyFleet : MEASUREMENT.readingHourly;
  const branch = (name: string, f: string, tail: ParameterizedQuery, measurement = figures) =>
    flux`${field(measurement, f)}
      ${tail}
      |> yield(name: ${name})
`;
  const byGroup = (fn: string) => flux`|> group(columns: ${group}) |> ${fluxExpression(fn)}()`;
  const counts = fleet
    ? flux`${branch("count", ROLLUP_FIELD.count, byGroup("sum"))}${countDevices ? branch("devices", ROLLUP_FIELD.count, flux`|> group(columns: ${[...group, TAG.site, TAG.client, TAG.device]}) |> first()`, MEASUREMENT.readingHourly) : flux``}`
    : branch(
        "dev_count",
        ROLLUP_FIELD.count,
        flux`|> group(columns: ${[...group, TAG.site, TAG.client, TAG.device]}) |> sum()`,
      );
  return flux`${counts}${branch("sum", ROLLUP_FIELD.sum, byGroup("sum"))}${branch("min", ROLLUP_FIELD.min, byGroup("min"))}${branch("max", ROLLUP_FIELD.max, byGroup("max"))}${branch("sum_sq", ROLLUP_FIELD.sumSquares, byGroup("sum"))}`;
}

/** One part's rows as moments per group (a raw part's stddev turned into its sum of squares). */
function momentsOf(rows: Row[], by: By, metricOf: (r: Row) => string): Map<string, Moments> {
  const groups = new Map<string, Moments>();
  const stddevs = new Map<string, number>();
  for (const r of rows) {
    const type = by === "metric" ? null : (r.type ?? null);
    const metric = metricOf(r);
    const key = typeMetricKey(type, metric);
    let g = groups.get(key);
    if (!g) {
      g = { type, metric, count: 0, sum: 0, sumSq: 0, min: null, max: null, devices: new Set() };
      groups.set(key, g);
    }
    const v = num(r._value);
    if (v === null) continue;
    if (r.result === "dev_count") {
      g.count += v;
      if (r.device !== undefined && v > 0) g.devices.add(deviceKey(r.client ?? "", r.device, r.site ?? ""));
    } else if (r.result === "count") g.count += v;
    else if (r.result === "devices") {
      if (r.device !== undefined && v > 0) g.devices.add(deviceKey(r.client ?? "", r.device, r.site ?? ""));
    } else if (r.result === "sum") g.sum += v;
    else if (r.result === "sum_sq") g.sumSq += v;
    else if (r.result === "stddev") stddevs.set(key, v);
    else if (r.result === "min") g.min = g.min === null ? v : Math.min(g.min, v);
    else if (r.result === "max") g.max = g.max === null ? v : Math.max(g.max, v);
  }
  for (const [key, g] of groups) {
    if (g.count === 0) continue;
    const sd = stddevs.get(key);
    // Sample variance s² = (Σx² - (Σx)²/n) / (n-1), so Σx² = s²(n-1) + (Σx)²/n; one value: Σx² = (Σx)².
    if (sd !== undefined) g.sumSq = sd * sd * (g.count - 1) + (g.sum * g.sum) / g.count;
    else if (g.count === 1) g.sumSq = g.sum * g.sum;
  }
  return groups;
}

/** Adds one part's moments into the total. */
function merge(total: Map<string, Moments>, part: Map<string, Moments>): void {
  for (const [key, p] of part) {
    const g = total.get(key);
    if (!g) {
      total.set(key, p);
      continue;
    }
    g.count += p.count;
    g.sum += p.sum;
    g.sumSq += p.sumSq;
    g.min = g.min === null ? p.min : p.min === null ? g.min : Math.min(g.min, p.min);
    g.max = g.max === null ? p.max : p.max === null ? g.max : Math.max(g.max, p.max);
    for (const d of p.devices) g.devices.add(d);
  }
}

/** Mean and sample stddev from the moments (stddev null below two samples, as Flux's stddev()). */
export function finish(m: Pick<Moments, "count" | "sum" | "sumSq">): {
  mean: number | null;
  stddev: number | null;
} {
  if (m.count === 0) return { mean: null, stddev: null };
  const mean = m.sum / m.count;
  if (m.count < 2) return { mean, stddev: null };
  // Rounding can leave a hair below zero for a constant series.
  const variance = Math.max(0, (m.sumSq - (m.sum * m.sum) / m.count) / (m.count - 1));
  return { mean, stddev: Math.sqrt(variance) };
}

/**
 * `countDevices` false: a caller that knows which devices contributed (the
 * summary, from its device list) spares InfluxDB reading every device's
 * series again for it; `devices` is then left out.
 */
export async function queryAggregates(
  ctx: FluxContext,
  scope: Scope,
  range: TimeRange,
  by: By,
  device?: string,
  nowMs = Date.now(),
  countDevices = true,
): Promise<AggregateResult> {
  try {
    return await aggregatesFrom(ctx, scope, by, planSources(ctx, range, nowMs), device, countDevices);
  } catch (err) {
    // No rollup bucket (the task was never ensured): raw data answers alone.
    if (!isMissingBucket(err)) throw err;
    return aggregatesFrom(ctx, scope, by, { source: "raw", raw: [range] }, device, countDevices);
  }
}

async function aggregatesFrom(
  ctx: FluxContext,
  scope: Scope,
  by: By,
  plan: SourcePlan,
  device: string | undefined,
  countDevices: boolean,
): Promise<AggregateResult> {
  const groups = new Map<string, Moments>();
  const work: Promise<void>[] = plan.raw.map(async (part) => {
    const rows = await ctx.runner.rows<Row>(rawQuery(ctx, scope, part, by, device, countDevices));
    merge(
      groups,
      momentsOf(rows, by, (r) => r._field ?? ""),
    );
  });
  if (plan.rollup && ctx.rollup) {
    const rollupCtx = { ...ctx, rollup: ctx.rollup };
    const part = plan.rollup;
    work.push(
      ctx.runner.rows<Row>(rollupQuery(rollupCtx, scope, part, by, device, countDevices)).then((rows) => {
        merge(
          groups,
          momentsOf(rows, by, (r) => r.metric ?? ""),
        );
      }),
    );
  }
  await Promise.all(work);
  const out = [...groups.values()]
    .filter((g) => g.count > 0)
    .map((g) => ({
      type: g.type,
      metric: g.metric,
      ...finish(g),
      min: g.min,
      max: g.max,
      count: g.count,
      ...(by === "type_and_metric" && countDevices ? { devices: g.devices.size } : {}),
    }))
    .sort((a, b) => `${a.type ?? ""}/${a.metric}`.localeCompare(`${b.type ?? ""}/${b.metric}`));
  return { groups: out, source: plan.source };
}
