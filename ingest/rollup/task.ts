// The Flux of the hourly rollup task: every hour, the last `lookback` of
// complete hours of raw `reading` points, summarised per device, metric and
// hour (mean, min, max, count, sum, sum of squares) into `reading_hourly` in
// the rollup bucket; sum and sum of squares let readers combine hours exactly
// with aggregates InfluxDB pushes down (sum, min, max). The same per client,
// device type and metric goes to `reading_hourly_fleet`, so fleet-wide views
// over weeks read tens of series instead of every device's.
// Re-aggregating a few hours back on every run picks up points that reached
// InfluxDB late (an ingester draining its spool after an outage); rewriting
// an hour writes the same series and time again, so it overwrites, never
// duplicates.
import { flux, fluxExpression } from "@influxdata/influxdb-client";
import { MEASUREMENT, ROLLUP_FIELD, TAG } from "../../shared/schema.js";

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

/** The task's Flux; every name reaches it through the client's string-literal escaping. */
export function rollupTaskFlux(spec: RollupTaskSpec): string {
  const tags = [TAG.client, TAG.device, TAG.type, TAG.metric];
  const fleetTags = [TAG.client, TAG.type, TAG.metric];
  const fleetGroup = [TAG.client, TAG.type, "_field"];
  const metric = fluxExpression(TAG.metric);
  return flux`import "date"

option task = {name: ${spec.name}, every: ${durationLiteral(TASK_EVERY)}, offset: ${durationLiteral(TASK_OFFSET)}}

// Complete hours only: the current hour is rolled up by the next run.
stop = date.truncate(t: now(), unit: 1h)
start = date.sub(d: ${durationLiteral(spec.lookback)}, from: stop)

raw =
    from(bucket: ${spec.rawBucket})
        |> range(start: start, stop: stop)
        |> filter(fn: (r) => r._measurement == ${MEASUREMENT.reading})

hourly = (tables=<-, field, fn, measurement=${MEASUREMENT.readingHourly}) =>
    tables
        |> aggregateWindow(every: 1h, fn: fn, createEmpty: false, timeSrc: "_start")
        |> map(fn: (r) => ({r with ${metric}: r._field, _field: field, _measurement: measurement}))

union(
    tables: [
        raw |> hourly(field: ${ROLLUP_FIELD.mean}, fn: mean),
        raw |> hourly(field: ${ROLLUP_FIELD.min}, fn: min),
        raw |> hourly(field: ${ROLLUP_FIELD.max}, fn: max),
        raw |> hourly(field: ${ROLLUP_FIELD.count}, fn: count),
        raw |> hourly(field: ${ROLLUP_FIELD.sum}, fn: sum),
        raw |> map(fn: (r) => ({r with _value: r._value * r._value})) |> hourly(field: ${ROLLUP_FIELD.sumSquares}, fn: sum),
    ],
)
    |> to(bucket: ${spec.rollupBucket}, org: ${spec.org}, tagColumns: ${tags})

// The fleet's hours: the same fields per client, device type and metric.
fleet = raw |> group(columns: ${fleetGroup})

union(
    tables: [
        fleet |> hourly(field: ${ROLLUP_FIELD.mean}, fn: mean, measurement: ${MEASUREMENT.readingHourlyFleet}),
        fleet |> hourly(field: ${ROLLUP_FIELD.min}, fn: min, measurement: ${MEASUREMENT.readingHourlyFleet}),
        fleet |> hourly(field: ${ROLLUP_FIELD.max}, fn: max, measurement: ${MEASUREMENT.readingHourlyFleet}),
        fleet |> hourly(field: ${ROLLUP_FIELD.count}, fn: count, measurement: ${MEASUREMENT.readingHourlyFleet}),
        fleet |> hourly(field: ${ROLLUP_FIELD.sum}, fn: sum, measurement: ${MEASUREMENT.readingHourlyFleet}),
        fleet |> map(fn: (r) => ({r with _value: r._value * r._value})) |> hourly(field: ${ROLLUP_FIELD.sumSquares}, fn: sum, measurement: ${MEASUREMENT.readingHourlyFleet}),
    ],
)
    |> to(bucket: ${spec.rollupBucket}, org: ${spec.org}, tagColumns: ${fleetTags})
`.toString();
}
