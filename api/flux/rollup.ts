// Series over long ranges: windows of whole hours are rebuilt from the hourly
// rollup (`reading_hourly`) for the complete hours it holds, and from raw
// readings for the rest (sources.ts), exactly: per window the sum and count
// (mean = sum / count, never a mean of means), the min of mins, the max of
// maxes, each an aggregate InfluxDB pushes down into storage.
import { type ParameterizedQuery, flux, fluxDuration, fluxExpression } from "@influxdata/influxdb-client";
import { MEASUREMENT, type Metric, ROLLUP_FIELD, TAG } from "../../shared/schema.js";
import { type TimeRange, formatDuration } from "../time-range.js";
import { InfluxUnavailableError } from "./run.js";
import { type FluxContext, type Scope, scopeFilter, deviceFilter, num, rangeCall } from "./scope.js";
import { type SeriesFn, type SeriesPoint, querySeries } from "./series.js";
import { HOUR_MS } from "../../shared/time.js";
import { type Source, planSources } from "./sources.js";

/** Rounds an automatically chosen `every` up to whole hours when the range is long enough for the rollup. */
export function everyForSource(
  ctx: FluxContext,
  range: TimeRange,
  everyMs: number,
  explicit: boolean,
): number {
  if (explicit || ctx.rollup === undefined || range.stopMs - range.startMs <= ctx.rollup.afterMs)
    return everyMs;
  return Math.ceil(everyMs / HOUR_MS) * HOUR_MS;
}

interface Row {
  result: string;
  _time: string;
  _value: unknown;
}

interface Window {
  sum: number;
  count: number;
  min: number | null;
  max: number | null;
}

/** Window aggregates of one part: raw readings (field = metric) or rollup rows (tag metric, one field per figure). */
function partQuery(
  ctx: FluxContext,
  scope: Scope,
  device: string,
  metric: Metric,
  part: TimeRange,
  everyMs: number,
  fn: Exclude<SeriesFn, "last">,
  rollupBucket: string | undefined,
): ParameterizedQuery {
  const every = fluxDuration(formatDuration(everyMs));
  const select = (rollupField: string) =>
    rollupBucket === undefined
      ? flux`from(bucket: ${ctx.bucket})
      |> ${rangeCall(part)}
      |> filter(fn: (r) => r._measurement == ${MEASUREMENT.reading}${scopeFilter(scope)}${deviceFilter(device)} and r._field == ${metric})`
      : flux`from(bucket: ${rollupBucket})
      |> ${rangeCall(part)}
      |> filter(fn: (r) => r._measurement == ${MEASUREMENT.readingHourly}${scopeFilter(scope)}${deviceFilter(device)} and r.${fluxExpression(TAG.metric)} == ${metric} and r._field == ${rollupField})`;
  const branch = (name: string, rollupField: string, rawFn: string, rollupFn: string) =>
    flux`${select(rollupField)}
      |> group()
      |> aggregateWindow(every: ${every}, fn: ${fluxExpression(rollupBucket === undefined ? rawFn : rollupFn)}, createEmpty: false, timeSrc: "_start")
      |> keep(columns: ["_time", "_value"])
      |> yield(name: ${name})
`;
  if (fn === "mean")
    return flux`${branch("sum", ROLLUP_FIELD.sum, "sum", "sum")}${branch("count", ROLLUP_FIELD.count, "count", "sum")}`;
  return fn === "min"
    ? branch("min", ROLLUP_FIELD.min, "min", "min")
    : branch("max", ROLLUP_FIELD.max, "max", "max");
}

/** A missing rollup bucket (task never ensured) is a 404 from InfluxDB: fall back to raw rather than fail. */
export function isMissingBucket(err: unknown): boolean {
  return err instanceof InfluxUnavailableError && /HTTP 404/.test(err.message);
}

async function querySeriesParts(
  ctx: FluxContext & { rollup: NonNullable<FluxContext["rollup"]> },
  scope: Scope,
  device: string,
  metric: Metric,
  range: TimeRange,
  everyMs: number,
  fn: Exclude<SeriesFn, "last">,
  parts: { part: TimeRange; rollup: boolean }[],
): Promise<SeriesPoint[]> {
  const windows = new Map<number, Window>();
  // A window cut by a part's edge has its start clipped there; both pieces map to the window's own start.
  const keyOf = (time: string) => Math.max(range.startMs, Math.floor(Date.parse(time) / everyMs) * everyMs);
  await Promise.all(
    parts.map(async ({ part, rollup }) => {
      const rows = await ctx.runner.rows<Row>(
        partQuery(ctx, scope, device, metric, part, everyMs, fn, rollup ? ctx.rollup.bucket : undefined),
      );
      for (const r of rows) {
        const v = num(r._value);
        if (v === null) continue;
        const k = keyOf(r._time);
        let w = windows.get(k);
        if (!w) windows.set(k, (w = { sum: 0, count: 0, min: null, max: null }));
        if (r.result === "sum") w.sum += v;
        else if (r.result === "count") w.count += v;
        else if (r.result === "min") w.min = w.min === null ? v : Math.min(w.min, v);
        else if (r.result === "max") w.max = w.max === null ? v : Math.max(w.max, v);
      }
    }),
  );
  const points: SeriesPoint[] = [];
  for (const [k, w] of [...windows].sort(([a], [b]) => a - b)) {
    const value = fn === "mean" ? (w.count > 0 ? w.sum / w.count : null) : fn === "min" ? w.min : w.max;
    if (value !== null) points.push({ time: new Date(k).toISOString(), value });
  }
  return points;
}

/**
 * The series from the rollup (with raw readings for the hours it does not
 * hold yet) when the range is longer than API_ROLLUP_AFTER, its windows are
 * whole hours and it holds complete rollup hours; otherwise from raw data
 * (a device's raw minutes are cheap to read; the rollup only sees late points
 * within the task's lookback). Says which.
 */
export async function querySeriesAuto(
  ctx: FluxContext,
  scope: Scope,
  device: string,
  metric: Metric,
  range: TimeRange,
  everyMs: number,
  fn: SeriesFn,
  nowMs = Date.now(),
): Promise<{ points: SeriesPoint[]; source: Source }> {
  const plan = planSources(ctx, range, nowMs);
  const long = ctx.rollup !== undefined && range.stopMs - range.startMs > ctx.rollup.afterMs;
  if (ctx.rollup !== undefined && long && plan.rollup && fn !== "last" && everyMs % HOUR_MS === 0) {
    const parts = [{ part: plan.rollup, rollup: true }, ...plan.raw.map((part) => ({ part, rollup: false }))];
    try {
      const points = await querySeriesParts(
        { ...ctx, rollup: ctx.rollup },
        scope,
        device,
        metric,
        range,
        everyMs,
        fn,
        parts,
      );
      return { points, source: plan.source };
    } catch (err) {
      if (!isMissingBucket(err)) throw err;
    }
  }
  return { points: await querySeries(ctx, scope, device, metric, range, everyMs, fn), source: "raw" };
}
