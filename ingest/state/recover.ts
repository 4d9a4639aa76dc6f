// On start-up, watermarks and rolling windows are rebuilt from InfluxDB
// itself: the newest point per device and metric, and the recent samples
// that fill each window, so a restarted ingester neither duplicates nor skips
// samples and judges outliers against the same past.
import { type InfluxDB, flux, fluxDuration, fluxExpression } from "@influxdata/influxdb-client";
import { MEASUREMENT, TAG } from "../../shared/schema.js";
import type { WindowSpec } from "../../shared/config/window-spec.js";
import type { RollingStats } from "../transforms/rolling-stats.js";
import type { Watermarks } from "../transforms/watermark.js";

export interface RecoverOptions {
  client: InfluxDB;
  org: string;
  bucket: string;
  /** How far back to look for the newest point of each series. */
  lookback: string;
}

interface Row {
  [TAG.device]: string;
  _field: string;
  _time: string;
  _value: number;
}

/** RFC 3339 with up to 9 fractional digits -> microseconds since the epoch. */
export function rfc3339ToUs(text: string): number {
  const m = /^(.*T\d{2}:\d{2}:\d{2})(?:\.(\d+))?Z$/.exec(text);
  if (!m) throw new Error(`unexpected time ${text}`);
  const seconds = Date.parse(`${m[1]}Z`);
  return seconds * 1000 + Number((m[2] ?? "").slice(0, 6).padEnd(6, "0"));
}

export async function recoverWatermarks(opts: RecoverOptions, marks: Watermarks): Promise<number> {
  const rows = await opts.client.getQueryApi(opts.org).collectRows<Row>(flux`
    from(bucket: ${opts.bucket})
      |> range(start: ${durationLiteral(opts.lookback)})
      |> filter(fn: (r) => r._measurement == ${MEASUREMENT.reading})
      |> group(columns: [${TAG.device}, "_field"])
      |> last()
      |> keep(columns: [${TAG.device}, "_field", "_time"])`);
  for (const r of rows) marks.raise(r[TAG.device], r._field, rfc3339ToUs(r._time));
  return rows.length;
}

/** Refills rolling windows with the samples they held before the restart. */
export async function recoverWindows(opts: RecoverOptions, stats: RollingStats): Promise<number> {
  const spec: WindowSpec = stats.spec;
  const since = spec.kind === "duration" ? `-${Math.ceil(spec.us / 1e6)}s` : opts.lookback;
  // A fixed-size window needs only each series' last `size` samples.
  const tail = fluxExpression(spec.kind === "count" ? `|> tail(n: ${Math.trunc(spec.size)})` : "");
  const rows = await opts.client.getQueryApi(opts.org).collectRows<Row>(flux`
    from(bucket: ${opts.bucket})
      |> range(start: ${durationLiteral(since)})
      |> filter(fn: (r) => r._measurement == ${MEASUREMENT.reading})
      |> group(columns: [${TAG.device}, "_field"])
      |> sort(columns: ["_time"])
      ${tail}
      |> keep(columns: [${TAG.device}, "_field", "_time", "_value"])`);
  for (const r of rows) stats.window(r[TAG.device], r._field).push(rfc3339ToUs(r._time), r._value);
  return rows.length;
}

/** A validated negative Flux duration (e.g. "-30d") for range(start:). */
function durationLiteral(text: string) {
  if (!/^-\d+(s|m|h|d|w)$/.test(text)) throw new Error(`not a negative Flux duration: ${text}`);
  return fluxDuration(text);
}
