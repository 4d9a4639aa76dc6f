// Judging a finished detection run: what the ingester stored (history span,
// battery reading times, anomaly events) read back from InfluxDB, the
// injected episodes from the simulator's /_sim/truth, scored by
// scoreDetection. Used by the detection test and the detection benchmark.
import { type QueryApi, flux, fluxExpression } from "@influxdata/influxdb-client";
import { DEFAULT_RULES } from "../../ingest/transforms/anomaly-rules.js";
import { ANOMALY_FIELD, HISTORY_METRIC, MEASUREMENT, METRIC, TAG } from "../../shared/schema.js";
import {
  type DetectedEvent,
  type DetectionScore,
  type TruthEpisode,
  observedFrom,
  scoreDetection,
  truthStartMs,
} from "./detection.js";

export interface JudgedRun {
  score: DetectionScore;
  /** Minutes of history stored per device (first to last, inclusive). */
  minutesServed: number;
  /** Minutes at the start not judged: the level rule needs that much history. */
  warmupMinutes: number;
}

/** One sample a minute: the level window's length in samples is its warm-up in minutes. */
export const WARMUP_MINUTES = DEFAULT_RULES.levelShift.samples;

const MINUTE_MS = 60_000;
const iso = (ms: number) => new Date(ms).toISOString().replace("Z", "000");

export async function judgeDetection(queryApi: QueryApi, bucket: string, simUrl: string): Promise<JudgedRun> {
  const historyFields = [...new Set(Object.values(HISTORY_METRIC))];
  const ends = await queryApi.collectRows<{ _time: string }>(flux`
    data = from(bucket: ${bucket})
      |> range(start: -30d, stop: 30d)
      |> filter(fn: (r) => r._measurement == ${MEASUREMENT.reading} and contains(value: r._field, set: ${historyFields}))
    data |> first() |> keep(columns: ["_time"]) |> yield(name: "first")
    data |> last() |> keep(columns: ["_time"]) |> yield(name: "last")`);
  if (ends.length === 0) throw new Error(`no history stored in ${bucket}`);
  const times = ends.map((r) => Date.parse(r._time));
  const firstServedMs = Math.min(...times);
  const lastServedMs = Math.max(...times);

  const battery = await queryApi.collectRows<{ device: string; _time: string }>(flux`
    from(bucket: ${bucket})
      |> range(start: -30d, stop: 30d)
      |> filter(fn: (r) => r._measurement == ${MEASUREMENT.reading} and r._field == ${METRIC.batteryLevel})
      |> keep(columns: [${TAG.device}, "_time"])`);
  const batteryTimes = new Map<string, number[]>();
  for (const r of battery) {
    const list = batteryTimes.get(r.device);
    if (list) list.push(Date.parse(r._time));
    else batteryTimes.set(r.device, [Date.parse(r._time)]);
  }

  const rows = await queryApi.collectRows<{
    device: string;
    metric: string;
    rule: string;
    _time: string;
  }>(flux`
    from(bucket: ${bucket})
      |> range(start: -30d, stop: 30d)
      |> filter(fn: (r) => r._measurement == ${MEASUREMENT.anomaly} and r._field == ${ANOMALY_FIELD.value})
      |> keep(columns: [${TAG.device}, ${TAG.metric}, ${TAG.rule}, "_time"])`);
  const events: DetectedEvent[] = rows.map((r) => ({
    device: r.device,
    metric: r.metric,
    rule: r.rule,
    timeMs: Date.parse(r._time),
  }));

  // Episodes overlapping the stored span, a slot's length either side, so
  // events near its edges are judged against the episodes they belong to.
  const slack = 20 * MINUTE_MS;
  const res = await fetch(
    `${simUrl}/_sim/truth?from=${iso(firstServedMs - slack)}&to=${iso(lastServedMs + slack)}`,
  );
  if (!res.ok) throw new Error(`/_sim/truth answered ${res.status}`);
  const raw = ((await res.json()) as { anomalies: (Omit<TruthEpisode, "startMs"> & { timestamp: string })[] })
    .anomalies;
  const truth: TruthEpisode[] = raw.map((t) => ({
    device: t.device,
    metric: t.metric,
    kind: t.kind,
    minutes: t.minutes,
    startMs: truthStartMs(t.timestamp),
  }));

  const score = scoreDetection({
    truth,
    events,
    firstMs: firstServedMs + WARMUP_MINUTES * MINUTE_MS,
    lastMs: lastServedMs,
    observed: observedFrom(METRIC.batteryLevel, batteryTimes),
  });
  return {
    score,
    minutesServed: Math.round((lastServedMs - firstServedMs) / MINUTE_MS) + 1,
    warmupMinutes: WARMUP_MINUTES,
  };
}

/** For a missed episode: what InfluxDB holds for its device and metric around it (readings, then events). */
export async function storedAround(queryApi: QueryApi, bucket: string, t: TruthEpisode): Promise<string> {
  const rows = await queryApi.collectRows<{
    _measurement: string;
    _field: string;
    _time: string;
    _value: unknown;
    rule?: string;
  }>(flux`
    from(bucket: ${bucket})
      |> range(start: ${new Date(t.startMs - 12 * MINUTE_MS)}, stop: ${new Date(t.startMs + (t.minutes + 3) * MINUTE_MS)})
      |> filter(fn: (r) => r.${fluxExpression(TAG.device)} == ${t.device})
      |> filter(fn: (r) => (r._measurement == ${MEASUREMENT.reading} and r._field == ${t.metric}) or (r._measurement == ${MEASUREMENT.anomaly} and r._field == ${ANOMALY_FIELD.value}))`);
  // Rows come table by table (one per series): one time order across them here.
  return rows
    .sort((a, b) => Date.parse(a._time) - Date.parse(b._time))
    .map(
      (r) =>
        `${r._time.slice(11, 19)} ${r._measurement === MEASUREMENT.anomaly ? `[${r.rule}]` : String(r._value)}`,
    )
    .join(" ");
}
