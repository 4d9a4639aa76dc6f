// The Flux of the hourly rollup task: every hour, the last `lookback` of
// complete hours of raw `reading` points, summarised per device, metric and
// hour (mean, min, max, count, sum, sum of squares) into `reading_hourly` in
// the rollup bucket; sum and sum of squares let readers combine hours exactly
// with aggregates InfluxDB pushes down (sum, min, max). The same per client,
// device type and metric (no mean: sum / count) goes to `reading_hourly_fleet`,
// so fleet-wide views over weeks read tens of series instead of every device's.
// Both keep the `site` tag of points that have one (edge sites feeding a
// central InfluxDB).
// Re-aggregating a few hours back on every run picks up points that reached
// InfluxDB late (an ingester draining its spool after an outage); rewriting
// an hour writes the same series and time again, so it overwrites, never
// duplicates.
import { flux, fluxDateTime, fluxExpression } from "@influxdata/influxdb-client";
import { MEASUREMENT, ROLLUP_FIELD, TAG } from "../../shared/schema.js";
import { HOUR_MS } from "../../shared/time.js";

export interface RollupTaskSpec {
  /** Task name; also the `option task` name, which InfluxDB keeps in step with it. */
  name: string;
  org: string;
  rawBucket: string;
  rollupBucket: string;
  /** Flux duration such as "6h": how far back each run re-aggregates. */
  lookback: string;
}

/** Runs at minute 5 of each hour, so the ingester's last points of the hour (one cycle, one flush) are in. */
export const TASK_EVERY = "1h";
export const TASK_OFFSET = "5m";

export function rollupTaskName(rawBucket: string): string {
  return `iot-rollup-hourly:${rawBucket}`;
}

const DURATION = /^(\d+(ns|us|ms|s|m|h|d|w|mo|y))+$/;

/** A duration literal (InfluxDB reads `option task` statically: it must be a literal, not duration(v:)). */
function durationLiteral(text: string) {
  if (!DURATION.test(text)) throw new Error(`not a Flux duration: ${JSON.stringify(text)}`);
  return fluxExpression(text);
}

/** Where the rollup reads and writes; shared by the task and the backfill command. */
export interface RollupTarget {
  org: string;
  rawBucket: string;
  rollupBucket: string;
}

/**
 * The aggregation itself, over `start`..`stop` (Flux expressions of type time
 * defined before it): per device, metric and hour, every ROLLUP_FIELD, written
 * with `to()`. Rewriting an hour overwrites it: the same series and times.
 */
function rollupBody(target: RollupTarget) {
  // `site` (absent on a single site's points; to() then writes none) keeps
  // the same device id at two sites apart in a central InfluxDB.
  const tags = [TAG.site, TAG.client, TAG.device, TAG.type, TAG.metric];
  const fleetTags = [TAG.site, TAG.client, TAG.type, TAG.metric];
  const metric = fluxExpression(TAG.metric);
  // Each figure reads from its own from(): InfluxDB pushes a window aggregate
  // down into storage only on an unshared from |> range |> filter chain; a
  // shared `raw` stream is read once into Flux and aggregated there (60x slower).
  // The fleet rows (per client, type and metric: what fleet-wide views read over
  // weeks) combine the per-device hours in Flux: a few rows per device-hour.
  return flux`raw = () =>
    from(bucket: ${target.rawBucket})
        |> range(start: start, stop: stop)
        |> filter(fn: (r) => r._measurement == ${MEASUREMENT.reading})

perDevice = (fn) => raw() |> aggregateWindow(every: 1h, fn: fn, createEmpty: false, timeSrc: "_start")

named = (tables=<-, field, measurement) =>
    tables |> map(fn: (r) => ({r with ${metric}: r._field, _field: field, _measurement: measurement}))

device = (tables=<-, field) => tables |> named(field: field, measurement: ${MEASUREMENT.readingHourly})

fleet = (tables=<-, field, fn) =>
    tables
        |> group(columns: ${[TAG.site, TAG.client, TAG.type, "_field"]})
        |> aggregateWindow(every: 1h, fn: fn, createEmpty: false, timeSrc: "_start")
        |> named(field: field, measurement: ${MEASUREMENT.readingHourlyFleet})

union(
    tables: [
        perDevice(fn: mean) |> device(field: ${ROLLUP_FIELD.mean}),
        perDevice(fn: min) |> device(field: ${ROLLUP_FIELD.min}),
        perDevice(fn: max) |> device(field: ${ROLLUP_FIELD.max}),
        perDevice(fn: count) |> device(field: ${ROLLUP_FIELD.count}),
        perDevice(fn: sum) |> device(field: ${ROLLUP_FIELD.sum}),
        raw() |> map(fn: (r) => ({r with _value: r._value * r._value})) |> aggregateWindow(every: 1h, fn: sum, createEmpty: false, timeSrc: "_start") |> device(field: ${ROLLUP_FIELD.sumSquares}),
    ],
)
    |> to(bucket: ${target.rollupBucket}, org: ${target.org}, tagColumns: ${tags})

union(
    tables: [
        perDevice(fn: min) |> fleet(field: ${ROLLUP_FIELD.min}, fn: min),
        perDevice(fn: max) |> fleet(field: ${ROLLUP_FIELD.max}, fn: max),
        perDevice(fn: count) |> fleet(field: ${ROLLUP_FIELD.count}, fn: sum),
        perDevice(fn: sum) |> fleet(field: ${ROLLUP_FIELD.sum}, fn: sum),
        raw() |> map(fn: (r) => ({r with _value: r._value * r._value})) |> aggregateWindow(every: 1h, fn: sum, createEmpty: false, timeSrc: "_start") |> fleet(field: ${ROLLUP_FIELD.sumSquares}, fn: sum),
    ],
)
    |> to(bucket: ${target.rollupBucket}, org: ${target.org}, tagColumns: ${fleetTags})
`;
}

/** The task's Flux; every name reaches it through the client's string-literal escaping. */
export function rollupTaskFlux(spec: RollupTaskSpec): string {
  return flux`import "date"

option task = {name: ${spec.name}, every: ${durationLiteral(TASK_EVERY)}, offset: ${durationLiteral(TASK_OFFSET)}}

// Complete hours only: the current hour is rolled up by the next run.
stop = date.truncate(t: now(), unit: 1h)
start = date.sub(d: ${durationLiteral(spec.lookback)}, from: stop)

${rollupBody(spec)}`.toString();
}

/** The same aggregation over whole hours `startMs`..`stopMs`, as a plain query (backfill). */
export function rollupRangeFlux(target: RollupTarget, startMs: number, stopMs: number): string {
  if (startMs % HOUR_MS !== 0 || stopMs % HOUR_MS !== 0 || stopMs <= startMs)
    throw new RangeError("a rollup range is whole hours, start before stop");
  return flux`start = ${fluxDateTime(new Date(startMs).toISOString())}
stop = ${fluxDateTime(new Date(stopMs).toISOString())}

${rollupBody(target)}`.toString();
}
