// Anomaly events the ingester wrote (measurement `anomaly`, one point per
// event with fields value/threshold/score/message), listed or counted.
import { flux, fluxExpression } from "@influxdata/influxdb-client";
import { ANOMALY_FIELD, type AnomalyRule, MEASUREMENT, TAG } from "../../shared/schema.js";
import type { TimeRange } from "../time-range.js";
import { type FluxContext, type Scope, scopeFilter, deviceFilter, num, rangeCall } from "./scope.js";

/** An anomaly event as the API reads it back from InfluxDB (the ingester's is ingest/transforms/anomaly-rules.ts AnomalyEvent). */
export interface StoredAnomaly {
  time: string;
  device: string;
  client: string;
  type: string;
  metric: string;
  rule: string;
  severity: string;
  value: number | null;
  baseline: number | null;
  threshold: number | null;
  score: number | null;
  message: string;
}

export interface AnomalyCount {
  rule: string;
  severity: string;
  count: number;
}

function ruleFilter(rule: AnomalyRule | undefined) {
  return rule === undefined ? flux`` : flux` and r.${fluxExpression(TAG.rule)} == ${rule}`;
}

/** A tag or string field of a row; anything else (absent) reads as "". */
function text(value: unknown): string {
  return typeof value === "string" ? value : "";
}

type EventRow = Record<string, unknown> & { _time: string; result: string };

/** The newest `limit` events (newest first) and how many there are in all. */
export async function queryAnomalies(
  ctx: FluxContext,
  scope: Scope,
  range: TimeRange,
  opts: { device?: string; rule?: AnomalyRule; limit: number },
): Promise<{ total: number; events: StoredAnomaly[] }> {
  const rows = await ctx.runner.rows<EventRow>(flux`
    data = from(bucket: ${ctx.bucket})
      |> ${rangeCall(range)}
      |> filter(fn: (r) => r._measurement == ${MEASUREMENT.anomaly}${scopeFilter(scope)}${deviceFilter(opts.device)}${ruleFilter(opts.rule)})
    data
      |> filter(fn: (r) => r._field == ${ANOMALY_FIELD.value})
      |> group()
      |> count()
      |> yield(name: "total")
    data
      |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")
      |> group()
      |> sort(columns: ["_time"], desc: true)
      |> limit(n: ${opts.limit})
      |> yield(name: "events")`);
  let total = 0;
  const events: StoredAnomaly[] = [];
  for (const r of rows) {
    if (r.result === "total") total = num(r._value) ?? 0;
    else
      events.push({
        time: r._time,
        device: text(r[TAG.device]),
        client: text(r[TAG.client]),
        type: text(r[TAG.type]),
        metric: text(r[TAG.metric]),
        rule: text(r[TAG.rule]),
        severity: text(r[TAG.severity]),
        value: num(r[ANOMALY_FIELD.value]),
        baseline: num(r[ANOMALY_FIELD.baseline]),
        threshold: num(r[ANOMALY_FIELD.threshold]),
        score: num(r[ANOMALY_FIELD.score]),
        message: text(r[ANOMALY_FIELD.message]),
      });
  }
  events.sort((a, b) => Date.parse(b.time) - Date.parse(a.time));
  return { total, events };
}

/** Event counts by rule and severity. */
export async function queryAnomalyCounts(
  ctx: FluxContext,
  scope: Scope,
  range: TimeRange,
  device?: string,
): Promise<AnomalyCount[]> {
  const rows = await ctx.runner.rows<{ rule: string; severity: string; _value: unknown }>(flux`
    from(bucket: ${ctx.bucket})
      |> ${rangeCall(range)}
      |> filter(fn: (r) => r._measurement == ${MEASUREMENT.anomaly} and r._field == ${ANOMALY_FIELD.value}${scopeFilter(scope)}${deviceFilter(device)})
      |> group(columns: [${TAG.rule}, ${TAG.severity}])
      |> count()`);
  return rows
    .map((r) => ({ rule: r.rule, severity: r.severity, count: num(r._value) ?? 0 }))
    .sort((a, b) => `${a.rule}/${a.severity}`.localeCompare(`${b.rule}/${b.severity}`));
}
