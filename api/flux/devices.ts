// Devices as the API knows them: a device belongs to a client when `reading`
// points exist with tag client=<client> and device=<id> within the lookback.
// A device is the pair (client, id): two clients may hold points under the
// same id (a device moved between clients, or alike names), and an admin,
// who sees every client, must see them as two devices, never one. With edge
// sites feeding one central InfluxDB, the site is part of it too: the same
// (client, id) at two sites is two devices, (site, client, id).
import { type ParameterizedQuery, flux, fluxExpression } from "@influxdata/influxdb-client";
import { MEASUREMENT, ROLLUP_FIELD, TAG } from "../../shared/schema.js";
import { HOUR_MS } from "../../shared/time.js";
import type { TimeRange } from "../time-range.js";
import { isMissingBucket } from "./rollup.js";
import { planSources } from "./sources.js";
import { type FluxContext, type Scope, num, rangeCall, scopeFilter } from "./scope.js";

export interface LastValue {
  value: number;
  time: string;
}

export interface DeviceInfo {
  id: string;
  client: string;
  /** The `site` tag; "" for points without one. */
  site: string;
  type: string;
  lastSeen: string;
  /** Last value of each metric the device reported. */
  last: Record<string, LastValue>;
}

interface Row {
  site?: string | null;
  client: string;
  device: string;
  type: string;
  _field: string;
  _value: unknown;
  _time: string;
}

/** The map key of a device: its site, client and id (NUL never occurs in any, their patterns exclude it). */
export function deviceKey(client: string, id: string, site = ""): string {
  return `${site}\u0000${client}\u0000${id}`;
}

/** Beyond this many (device, metric) pairs last seen only in the rollup, one raw read of the whole lookback is cheaper. */
export const TARGETED_MAX = 100;

/**
 * Every device of the scope (or those with id `device`: one per client and
 * site holding it), with its last reading, newest point per metric. Sorted by
 * id, then client, then site.
 *
 * Reading the newest point of every series over the whole lookback (30 days by
 * default) costs a read of each series' month. With the hourly rollup, raw data
 * is read only where the rollup does not reach (the recent hours, the partial
 * first hour), the rollup says which series were last seen earlier and in which
 * hour, and those few series are read raw within their hours for the exact
 * time and value. The answer is the same as the raw read's.
 */
export async function queryDevices(
  ctx: FluxContext,
  scope: Scope,
  lookback: TimeRange,
  device?: string,
): Promise<DeviceInfo[]> {
  const plan = planSources(ctx, lookback, lookback.stopMs);
  // One device's series are few: one raw read of them is cheapest.
  if (device !== undefined || plan.rollup === undefined || ctx.rollup === undefined)
    return devicesFrom(await lastRows(ctx, scope, lookback, device === undefined ? undefined : [device]));
  try {
    return devicesFrom(
      await lastRowsViaRollup(ctx, scope, lookback, plan.raw, plan.rollup, ctx.rollup.bucket),
    );
  } catch (err) {
    // No rollup bucket (the task was never ensured): raw data answers alone.
    if (!isMissingBucket(err)) throw err;
    return devicesFrom(await lastRows(ctx, scope, lookback));
  }
}

/** The newest raw point of every series, reading raw data only where the rollup does not say enough. */
async function lastRowsViaRollup(
  ctx: FluxContext,
  scope: Scope,
  lookback: TimeRange,
  rawParts: TimeRange[],
  rollupPart: TimeRange,
  rollupBucket: string,
): Promise<Row[]> {
  const [raw, hours] = await Promise.all([
    Promise.all(rawParts.map((part) => lastRows(ctx, scope, part))).then((parts) => parts.flat()),
    lastHours(ctx, scope, rollupBucket, rollupPart),
  ]);
  const newestRaw = new Map<string, number>();
  for (const r of raw) {
    const k = seriesKey(r.site ?? "", r.client, r.device, r._field);
    newestRaw.set(k, Math.max(newestRaw.get(k) ?? -Infinity, Date.parse(r._time)));
  }
  // Series last seen in a rolled-up hour: newer there than anything raw holds for them.
  const older = hours.filter(
    (h) =>
      (newestRaw.get(seriesKey(h.site ?? "", h.client, h.device, h.metric)) ?? -Infinity) <
      Date.parse(h._time),
  );
  if (older.length === 0) return raw;
  if (older.length > TARGETED_MAX) return lastRows(ctx, scope, lookback);
  const hourStarts = older.map((h) => Date.parse(h._time));
  const within = { startMs: Math.min(...hourStarts), stopMs: Math.max(...hourStarts) + HOUR_MS };
  const ids = [...new Set(older.map((h) => h.device))];
  return [...raw, ...(await lastRows(ctx, scope, within, ids))];
}

const seriesKey = (site: string, client: string, device: string, metric: string) =>
  `${site}\u0000${client}\u0000${device}\u0000${metric}`;

/** The newest raw point of each series in `range` (of the devices `ids` when given). */
function lastRows(ctx: FluxContext, scope: Scope, range: TimeRange, ids?: string[]): Promise<Row[]> {
  return ctx.runner.rows<Row>(flux`
    from(bucket: ${ctx.bucket})
      |> ${rangeCall(range)}
      |> filter(fn: (r) => r._measurement == ${MEASUREMENT.reading}${scopeFilter(scope)}${devicesFilter(ids)})
      |> last()
      |> keep(columns: [${TAG.site}, ${TAG.client}, ${TAG.device}, ${TAG.type}, "_field", "_value", "_time"])`);
}

/** ` and (r.device == "a" or r.device == "b")`: tag equalities, which InfluxDB pushes down into storage. */
function devicesFilter(ids: string[] | undefined): ParameterizedQuery {
  if (ids === undefined || ids.length === 0) return flux``;
  const tag = fluxExpression(TAG.device);
  const clause = ids.map((id) => flux`r.${tag} == ${id}`).reduce((a, b) => flux`${a} or ${b}`);
  return flux` and (${clause})`;
}

interface HourRow {
  site?: string | null;
  client: string;
  device: string;
  metric: string;
  _time: string;
}

/** The newest rollup hour of each (device, metric) in `range`. */
function lastHours(
  ctx: FluxContext,
  scope: Scope,
  rollupBucket: string,
  range: TimeRange,
): Promise<HourRow[]> {
  return ctx.runner.rows<HourRow>(flux`
    from(bucket: ${rollupBucket})
      |> ${rangeCall(range)}
      |> filter(fn: (r) => r._measurement == ${MEASUREMENT.readingHourly}${scopeFilter(scope)} and r._field == ${ROLLUP_FIELD.count})
      |> last()
      |> keep(columns: [${TAG.site}, ${TAG.client}, ${TAG.device}, ${TAG.metric}, "_time"])`);
}

/** Devices from the newest points of their series (several rows of one series: the newest counts). */
function devicesFrom(rows: Row[]): DeviceInfo[] {
  const byKey = new Map<string, DeviceInfo>();
  for (const r of rows) {
    const value = num(r._value);
    const site = r.site ?? "";
    const key = deviceKey(r.client, r.device, site);
    let info = byKey.get(key);
    if (!info) {
      info = { id: r.device, client: r.client, site, type: r.type, lastSeen: r._time, last: {} };
      byKey.set(key, info);
    }
    // RFC 3339 UTC strings from InfluxDB compare in time order as text only at equal
    // precision, so compare as instants.
    if (Date.parse(r._time) >= Date.parse(info.lastSeen)) {
      info.lastSeen = r._time;
      info.type = r.type;
    }
    const prev = info.last[r._field];
    if (value !== null && (!prev || Date.parse(r._time) >= Date.parse(prev.time)))
      info.last[r._field] = { value, time: r._time };
  }
  return [...byKey.values()].sort(
    (a, b) =>
      a.id.localeCompare(b.id, "en", { numeric: true }) ||
      a.client.localeCompare(b.client, "en", { numeric: true }) ||
      a.site.localeCompare(b.site, "en", { numeric: true }),
  );
}
