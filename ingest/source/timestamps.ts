// The upstream sends ISO-8601 timestamps without a zone and with microseconds
// (e.g. 2026-11-26T10:15:30.123456), in its host's local time. We read them in
// a configured IANA zone and keep microseconds since the epoch: a JS Date
// would drop the last three digits, and samples must keep their identity.

import { utcMsOf } from "../../shared/time.js";

const LOCAL_ISO = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/;

/** Offset of `zone` from UTC at the UTC instant `utcMs`, in ms (positive east of Greenwich). */
function zoneOffsetMs(zone: string, utcMs: number): number {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: zone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  }).formatToParts(new Date(utcMs));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const asUtc = Date.UTC(
    get("year"),
    get("month") - 1,
    get("day"),
    get("hour"),
    get("minute"),
    get("second"),
  );
  return asUtc - Math.floor(utcMs / 1000) * 1000;
}

/**
 * Parses a zone-less local timestamp read in `zone` into microseconds since
 * the epoch; null when it is not one. A zone designator (Z, +01:00) is refused:
 * the upstream never sends one, so its presence means a different API.
 */
export function parseLocalTimestampUs(text: string, zone = "UTC"): number | null {
  const m = LOCAL_ISO.exec(text);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const wallMs = utcMsOf(year, month, day, hour, minute, second);
  if (wallMs === null) return null;
  const micros = Number((m[7] ?? "").padEnd(6, "0"));
  let utcMs = wallMs;
  if (zone !== "UTC") {
    // Two passes settle the offset across DST changes.
    const first = wallMs - zoneOffsetMs(zone, wallMs);
    utcMs = wallMs - zoneOffsetMs(zone, first);
  }
  return utcMs * 1000 + micros;
}

/** RFC 3339 UTC text of a microsecond timestamp, all six digits kept. */
export function formatUs(us: number): string {
  const ms = Math.floor(us / 1000);
  const iso = new Date(ms).toISOString(); // ...SS.mmmZ
  return `${iso.slice(0, 23)}${String(us % 1000).padStart(3, "0")}Z`;
}
