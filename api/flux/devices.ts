// Devices as the API knows them: a device belongs to a client when `reading`
// points exist with tag client=<client> and device=<id> within the lookback.
// A device is the pair (client, id): two clients may hold points under the
// same id (a device moved between clients, or alike names), and an admin,
// who sees every client, must see them as two devices, never one. With edge
// sites feeding one central InfluxDB, the site is part of it too: the same
// (client, id) at two sites is two devices, (site, client, id).
import { flux } from "@influxdata/influxdb-client";
import { MEASUREMENT, TAG } from "../../shared/schema.js";
import type { TimeRange } from "../time-range.js";
import { type FluxContext, type Scope, deviceFilter, num, rangeCall, scopeFilter } from "./scope.js";

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

/** The map key of a (device type, metric) group, in aggregates and devicesSince alike. */
export function typeMetricKey(type: string | null, metric: string): string {
  return `${type ?? ""}\u0000${metric}`;
}

/** The newest point of one series within the lookback: which device, type and field, and when. */
export interface SeriesNewest {
  /** deviceKey(client, id, site). */
  device: string;
  type: string;
  field: string;
  time: string;
}

export interface DeviceList {
  devices: DeviceInfo[];
  /** One entry per series (device, type, field). */
  series: SeriesNewest[];
}

/**
 * Every device of the scope (or those with id `device`: one per client and
 * site holding it), with its last reading, newest point per metric. Sorted by
 * id, then client, then site.
 *
 * One raw read of each series' newest point over the lookback: InfluxDB
 * answers `last()` from the end of each series. Reading the hourly rollup to
 * narrow the raw read was measured slower, not faster (1,000 devices, 30 days:
 * 474-489 ms against 309-370 ms with 7-day shards, 309-386 against 201-254
 * with 1-day shards), so the device list does not use it.
 */
export async function queryDevices(
  ctx: FluxContext,
  scope: Scope,
  lookback: TimeRange,
  device?: string,
): Promise<DeviceInfo[]> {
  return (await queryDeviceList(ctx, scope, lookback, device)).devices;
}

/** queryDevices, plus the newest point of each series it read (see devicesSince). */
export async function queryDeviceList(
  ctx: FluxContext,
  scope: Scope,
  lookback: TimeRange,
  device?: string,
): Promise<DeviceList> {
  const rows = await ctx.runner.rows<Row>(flux`
    from(bucket: ${ctx.bucket})
      |> ${rangeCall(lookback)}
      |> filter(fn: (r) => r._measurement == ${MEASUREMENT.reading}${scopeFilter(scope)}${deviceFilter(device)})
      |> last()
      |> keep(columns: [${TAG.site}, ${TAG.client}, ${TAG.device}, ${TAG.type}, "_field", "_value", "_time"])`);
  return {
    devices: devicesFrom(rows),
    series: rows.map((r) => ({
      device: deviceKey(r.client, r.device, r.site ?? ""),
      type: r.type,
      field: r._field,
      time: r._time,
    })),
  };
}

/**
 * Devices per (type, metric) with a reading at or after `startMs`, keyed by
 * typeMetricKey. Exact for a range that starts inside the lookback
 * and ends where it ends: a series has a point in the range exactly when its
 * newest point in the lookback is at or after the range's start.
 */
export function devicesSince(series: readonly SeriesNewest[], startMs: number): Map<string, number> {
  const seen = new Map<string, Set<string>>();
  for (const s of series) {
    if (Date.parse(s.time) < startMs) continue;
    const key = typeMetricKey(s.type, s.field);
    let devices = seen.get(key);
    if (!devices) seen.set(key, (devices = new Set()));
    devices.add(s.device);
  }
  return new Map([...seen].map(([key, devices]) => [key, devices.size]));
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
