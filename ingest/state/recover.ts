// On start-up, watermarks and rolling windows are rebuilt from InfluxDB
// itself: the newest point per device and metric, the history slots stored
// near it (so open gaps survive the loss of the local checkpoint), and the
// recent samples that fill each window, so a restarted ingester neither
// duplicates nor skips samples and judges outliers against the same past.
//
// Every range has an explicit stop far ahead: points are stamped with the
// upstream's clock, which may run ahead of InfluxDB's (clock skew, a zone
// east of IOT_API_TIMEZONE, the simulator's --time-scale), and a range with
// no stop ends at InfluxDB's now and would not see them.
import { type InfluxDB, flux, fluxDateTime, fluxDuration, fluxExpression } from "@influxdata/influxdb-client";
import { HISTORY_METRIC, MEASUREMENT, TAG } from "../../shared/schema.js";
import type { WindowSpec } from "../transforms/window-spec.js";
import type { HistoryGrid } from "../transforms/history-grid.js";
import type { RollingStats } from "../transforms/rolling-stats.js";
import type { Watermarks } from "../transforms/watermark.js";

export interface RecoverOptions {
  client: InfluxDB;
  org: string;
  bucket: string;
  /** How far back to look for the newest point of each series. */
  lookback: string;
}

export interface RecoveredMarks {
  /** Series (device and metric) found. */
  series: number;
  /** Newest point of all, µs (undefined when nothing is stored). */
  newestUs?: number;
}

interface Row {
  [TAG.device]: string;
  _field: string;
  _time: string;
  _value: number;
}

/** Beyond any upstream clock; InfluxDB stores times up to 2262. */
const FAR_FUTURE = fluxDateTime("2200-01-01T00:00:00Z");

/** RFC 3339 with up to 9 fractional digits -> microseconds since the epoch. */
export function rfc3339ToUs(text: string): number {
  const m = /^(.*T\d{2}:\d{2}:\d{2})(?:\.(\d+))?Z$/.exec(text);
  if (!m) throw new Error(`unexpected time ${text}`);
  const seconds = Date.parse(`${m[1]}Z`);
  return seconds * 1000 + Number((m[2] ?? "").slice(0, 6).padEnd(6, "0"));
}

const timeLiteral = (us: number) => fluxDateTime(new Date(Math.floor(us / 1000)).toISOString());

/**
 * Raises `marks` to the newest stored point of each series; with a grid, also
 * settles each history series' open slots against the slots stored near it.
 * `marks` may already hold the local checkpoint, which InfluxDB only raises.
 */
export async function recoverWatermarks(
  opts: RecoverOptions,
  marks: Watermarks,
  grid?: HistoryGrid,
): Promise<RecoveredMarks> {
  const query = opts.client.getQueryApi(opts.org);
  const rows = await query.collectRows<Row>(flux`
    from(bucket: ${opts.bucket})
      |> range(start: ${durationLiteral(opts.lookback)}, stop: ${FAR_FUTURE})
      |> filter(fn: (r) => r._measurement == ${MEASUREMENT.reading})
      |> group(columns: [${TAG.device}, "_field"])
      |> last()
      |> keep(columns: [${TAG.device}, "_field", "_time"])`);
  if (rows.length === 0) return { series: 0 };
  const local = new Map<string, number | undefined>();
  let newestUs = -Infinity;
  for (const r of rows) {
    const t = rfc3339ToUs(r._time);
    local.set(`${r[TAG.device]}\u0000${r._field}`, marks.get(r[TAG.device], r._field));
    marks.raise(r[TAG.device], r._field, t);
    newestUs = Math.max(newestUs, t);
  }
  if (grid) {
    // The upstream serves nothing older than this; gaps can only be below a mark inside it.
    // Schema names are plain identifiers, so JSON quoting is Flux quoting.
    const fields = fluxExpression(
      [...new Set(Object.values(HISTORY_METRIC))].map((f) => `r._field == ${JSON.stringify(f)}`).join(" or "),
    );
    const recent = await query.collectRows<Row>(flux`
      from(bucket: ${opts.bucket})
        |> range(start: ${timeLiteral(grid.oldestServed(newestUs))}, stop: ${FAR_FUTURE})
        |> filter(fn: (r) => r._measurement == ${MEASUREMENT.reading} and (${fields}))
        |> keep(columns: [${TAG.device}, "_field", "_time"])`);
    const stored = new Map<string, Set<number>>();
    for (const r of recent) {
      const k = `${r[TAG.device]}\u0000${r._field}`;
      let set = stored.get(k);
      if (!set) stored.set(k, (set = new Set()));
      set.add(rfc3339ToUs(r._time));
    }
    for (const r of rows) {
      if (!grid.isGridded(r._field)) continue;
      const k = `${r[TAG.device]}\u0000${r._field}`;
      marks.reconcile(r[TAG.device], r._field, stored.get(k) ?? new Set(), local.get(k));
    }
  }
  return { series: rows.length, newestUs };
}

/**
 * Refills rolling windows with the samples they held before the restart. A
 * duration window is measured back from `newestUs` (the upstream's clock, as
 * stored), not from InfluxDB's now.
 */
export async function recoverWindows(
  opts: RecoverOptions,
  stats: RollingStats,
  newestUs?: number,
): Promise<number> {
  const spec: WindowSpec = stats.spec;
  const start =
    spec.kind === "duration"
      ? newestUs === undefined
        ? durationLiteral(`-${Math.ceil(spec.us / 1e6)}s`)
        : timeLiteral(newestUs - spec.us)
      : durationLiteral(opts.lookback);
  // A fixed-size window needs only each series' last `size` samples.
  const tail = fluxExpression(spec.kind === "count" ? `|> tail(n: ${Math.trunc(spec.size)})` : "");
  const rows = await opts.client.getQueryApi(opts.org).collectRows<Row>(flux`
    from(bucket: ${opts.bucket})
      |> range(start: ${start}, stop: ${FAR_FUTURE})
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
