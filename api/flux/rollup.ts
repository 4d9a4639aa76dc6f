// Long ranges read the hourly rollup (`reading_hourly`, written by the
// InfluxDB task the ingester ensures) instead of the raw readings: the same
// answer shape, a fraction of the points scanned. Windows of whole hours are
// rebuilt exactly from hourly rows: min of mins, max of maxes, and the mean
// weighted by each hour's count (a mean of means would over-weight sparse hours).
import { flux, fluxDuration, fluxExpression } from "@influxdata/influxdb-client";
import { MEASUREMENT, type Metric, ROLLUP_FIELD, TAG } from "../../shared/schema.js";
import { type TimeRange, formatDuration } from "../time-range.js";
import { InfluxUnavailableError } from "./run.js";
import { type FluxContext, type Scope, clientFilter, deviceFilter, num, rangeCall } from "./scope.js";
import { type SeriesFn, type SeriesPoint, querySeries } from "./series.js";

export const HOUR_MS = 3_600_000;
export type SeriesSource = "raw" | "rollup";

/** Whether a query can and should read the rollup: long range, whole-hour windows, an aggregate the rollup holds. */
export function rollupFits(ctx: FluxContext, range: TimeRange, everyMs: number, fn: SeriesFn): boolean {
  return (
    ctx.rollup !== undefined &&
    range.stopMs - range.startMs > ctx.rollup.afterMs &&
    everyMs % HOUR_MS === 0 &&
    fn !== "last"
  );
}

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
  _time: string;
  _value: unknown;
}

export async function querySeriesRollup(
  ctx: FluxContext & { rollup: NonNullable<FluxContext["rollup"]> },
  scope: Scope,
  device: string,
  metric: Metric,
  range: TimeRange,
  everyMs: number,
  fn: Exclude<SeriesFn, "last">,
): Promise<SeriesPoint[]> {
  const every = fluxDuration(formatDuration(everyMs));
  const select = flux`from(bucket: ${ctx.rollup.bucket})
      |> ${rangeCall(range)}
      |> filter(fn: (r) => r._measurement == ${MEASUREMENT.readingHourly}${clientFilter(scope)}${deviceFilter(device)} and r.${fluxExpression(TAG.metric)} == ${metric})`;
  const query =
    fn === "mean"
      ? flux`${select}
      |> filter(fn: (r) => r._field == ${ROLLUP_FIELD.mean} or r._field == ${ROLLUP_FIELD.count})
      |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")
      |> group()
      |> map(fn: (r) => ({_time: r._time, _start: r._start, _stop: r._stop, sum: r.${fluxExpression(ROLLUP_FIELD.mean)} * float(v: r.${fluxExpression(ROLLUP_FIELD.count)}), n: float(v: r.${fluxExpression(ROLLUP_FIELD.count)})}))
      // window() clips to _start/_stop, so the first window starts at the range start, as aggregateWindow's do.
      |> window(every: ${every}, createEmpty: false)
      |> reduce(fn: (r, accumulator) => ({sum: accumulator.sum + r.sum, n: accumulator.n + r.n}), identity: {sum: 0.0, n: 0.0})
      |> map(fn: (r) => ({_time: r._start, _value: r.sum / r.n}))
      |> group()
      |> keep(columns: ["_time", "_value"])`
      : flux`${select}
      |> filter(fn: (r) => r._field == ${fn === "min" ? ROLLUP_FIELD.min : ROLLUP_FIELD.max})
      |> group()
      |> aggregateWindow(every: ${every}, fn: ${fluxExpression(fn === "min" ? "min" : "max")}, createEmpty: false, timeSrc: "_start")
      |> keep(columns: ["_time", "_value"])`;
  const rows = await ctx.runner.rows<Row>(query);
  const points: SeriesPoint[] = [];
  for (const r of rows) {
    const value = num(r._value);
    if (value !== null) points.push({ time: r._time, value });
  }
  return points.sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
}

/** A missing rollup bucket (task never ensured) is a 404 from InfluxDB: fall back to raw rather than fail. */
function isMissingBucket(err: unknown): boolean {
  return err instanceof InfluxUnavailableError && /HTTP 404/.test(err.message);
}

/** The series from the rollup when it fits, else from raw data; says which. */
export async function querySeriesAuto(
  ctx: FluxContext,
  scope: Scope,
  device: string,
  metric: Metric,
  range: TimeRange,
  everyMs: number,
  fn: SeriesFn,
): Promise<{ points: SeriesPoint[]; source: SeriesSource }> {
  if (ctx.rollup !== undefined && fn !== "last" && rollupFits(ctx, range, everyMs, fn)) {
    try {
      const points = await querySeriesRollup(
        { ...ctx, rollup: ctx.rollup },
        scope,
        device,
        metric,
        range,
        everyMs,
        fn,
      );
      return { points, source: "rollup" };
    } catch (err) {
      if (!isMissingBucket(err)) throw err;
    }
  }
  return { points: await querySeries(ctx, scope, device, metric, range, everyMs, fn), source: "raw" };
}
