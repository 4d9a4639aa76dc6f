// Encodes what the pipeline produced into InfluxDB line protocol (timestamps
// in microseconds), with the names of shared/schema.ts only.
import { Point } from "@influxdata/influxdb-client";
import { ANOMALY_FIELD, MEASUREMENT, STATS_FIELD, TAG } from "../shared/schema.js";
import type { Sample } from "./sample.js";
import type { AnomalyEvent } from "./transforms/anomaly-rules.js";
import type { Summary } from "./transforms/rolling-stats.js";

/** The `site` tag (EDGE_SITE) when the ingester has one; a single site's points carry none. */
function atSite(point: Point, site: string | undefined): Point {
  return site ? point.tag(TAG.site, site) : point;
}

function line(point: Point): string {
  const text = point.toLineProtocol();
  if (!text) throw new Error(`point without fields: ${point.toString()}`);
  return text;
}

/** Every metric is a float field, whatever the upstream's JSON type, so types never conflict. */
export function readingLine(s: Sample, site?: string): string {
  return line(
    atSite(new Point(MEASUREMENT.reading), site)
      .tag(TAG.client, s.client)
      .tag(TAG.device, s.device)
      .tag(TAG.type, s.type)
      .floatField(s.metric, s.value)
      .timestamp(String(s.timeUs)),
  );
}

export function statsLine(
  device: { id: string; client: string; type: string },
  metric: string,
  sum: Summary,
  site?: string,
): string {
  return line(
    atSite(new Point(MEASUREMENT.stats), site)
      .tag(TAG.client, device.client)
      .tag(TAG.device, device.id)
      .tag(TAG.type, device.type)
      .tag(TAG.metric, metric)
      .floatField(STATS_FIELD.mean, sum.mean)
      .floatField(STATS_FIELD.min, sum.min)
      .floatField(STATS_FIELD.max, sum.max)
      .floatField(STATS_FIELD.stddev, sum.stddev)
      .intField(STATS_FIELD.count, sum.count)
      .floatField(STATS_FIELD.p95, sum.p95)
      .timestamp(String(sum.timeUs)),
  );
}

export function anomalyLine(e: AnomalyEvent, site?: string): string {
  const point = atSite(new Point(MEASUREMENT.anomaly), site)
    .tag(TAG.client, e.client)
    .tag(TAG.device, e.device)
    .tag(TAG.type, e.type)
    .tag(TAG.metric, e.metric)
    .tag(TAG.rule, e.rule)
    .tag(TAG.severity, e.severity)
    .floatField(ANOMALY_FIELD.value, e.value)
    .floatField(ANOMALY_FIELD.threshold, e.threshold)
    .floatField(ANOMALY_FIELD.score, e.score)
    .stringField(ANOMALY_FIELD.message, e.message.replace(/[\r\n]+/g, " "))
    .timestamp(String(e.timeUs));
  if (e.baseline !== null) point.floatField(ANOMALY_FIELD.baseline, e.baseline);
  return line(point);
}
