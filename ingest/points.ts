// Encodes what the pipeline produced into InfluxDB line protocol (timestamps
// in microseconds), with the names of shared/schema.ts only.
//
// Lines are concatenated here with the client library's own escapers, as its
// Point would write them (tags and fields in key order, an empty tag left
// out, floats as JavaScript prints them): a Point per sample built tag and
// field objects, sorted and joined them, about 1 KB of garbage per line and a
// tenth of what a cycle allocated (test/unit/ingest-points.test.ts holds the
// two encodings equal).
import { escape } from "@influxdata/influxdb-client";
import { ANOMALY_FIELD, MEASUREMENT, STATS_FIELD, TAG } from "../shared/schema.js";
import type { Sample } from "./sample.js";
import type { AnomalyEvent } from "./transforms/anomaly-rules.js";
import type { Summary } from "./transforms/rolling-stats.js";

/** The measurements' escaped names, escaped once rather than on every line. */
const READING = escape.measurement(MEASUREMENT.reading);
const STATS = escape.measurement(MEASUREMENT.stats);
const ANOMALY = escape.measurement(MEASUREMENT.anomaly);

/** `,key=value`, or nothing for an absent or empty value (Point leaves those out). */
function tag(key: string, value: string | undefined): string {
  return value ? `,${escape.tag(key)}=${escape.tag(value)}` : "";
}

function float(key: string, value: number): string {
  if (!Number.isFinite(value)) throw new Error(`invalid float value for field '${key}': ${value}`);
  return `${escape.tag(key)}=${value}`;
}

function integer(key: string, value: number): string {
  if (!Number.isSafeInteger(value)) throw new Error(`invalid integer value for field '${key}': ${value}`);
  return `${escape.tag(key)}=${value}i`;
}

function text(key: string, value: string): string {
  return `${escape.tag(key)}=${escape.quoted(value)}`;
}

/** Every metric is a float field, whatever the upstream's JSON type, so types never conflict. */
export function readingLine(s: Sample, site?: string): string {
  return (
    READING +
    tag(TAG.client, s.client) +
    tag(TAG.device, s.device) +
    tag(TAG.site, site) +
    tag(TAG.type, s.type) +
    ` ${float(s.metric, s.value)} ${s.timeUs}`
  );
}

export function statsLine(
  device: { id: string; client: string; type: string },
  metric: string,
  sum: Summary,
  site?: string,
): string {
  return (
    STATS +
    tag(TAG.client, device.client) +
    tag(TAG.device, device.id) +
    tag(TAG.metric, metric) +
    tag(TAG.site, site) +
    tag(TAG.type, device.type) +
    ` ${integer(STATS_FIELD.count, sum.count)},${float(STATS_FIELD.max, sum.max)},` +
    `${float(STATS_FIELD.mean, sum.mean)},${float(STATS_FIELD.min, sum.min)},` +
    `${float(STATS_FIELD.p95, sum.p95)},${float(STATS_FIELD.stddev, sum.stddev)} ${sum.timeUs}`
  );
}

export function anomalyLine(e: AnomalyEvent, site?: string): string {
  return (
    ANOMALY +
    tag(TAG.client, e.client) +
    tag(TAG.device, e.device) +
    tag(TAG.metric, e.metric) +
    tag(TAG.rule, e.rule) +
    tag(TAG.severity, e.severity) +
    tag(TAG.site, site) +
    tag(TAG.type, e.type) +
    ` ${e.baseline !== null ? `${float(ANOMALY_FIELD.baseline, e.baseline)},` : ""}` +
    `${text(ANOMALY_FIELD.message, e.message.replace(/[\r\n]+/g, " "))},` +
    `${float(ANOMALY_FIELD.score, e.score)},${float(ANOMALY_FIELD.threshold, e.threshold)},` +
    `${float(ANOMALY_FIELD.value, e.value)} ${e.timeUs}`
  );
}
