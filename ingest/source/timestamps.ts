// The upstream sends ISO-8601 timestamps without a zone and with microseconds
// (e.g. 2026-11-26T10:15:30.123456), in its host's local time. We read them in
// a configured IANA zone and keep microseconds since the epoch: a JS Date
// would drop the last three digits, and samples must keep their identity.

import { utcMsOf } from "../../shared/time.js";

/** 10 ** (6 - digits): a fraction of 1..6 digits, in microseconds. */
const FRACTION_SCALE = [0, 100_000, 10_000, 1_000, 100, 10, 1];

/** The decimal value of `text[from, from + count)`, or -1 when any of it is not an ASCII digit. */
function digitsAt(text: string, from: number, count: number): number {
  let value = 0;
  for (let i = from; i < from + count; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}

/** One formatter per zone: building an Intl.DateTimeFormat costs far more than using one. */
const zoneFormatters = new Map<string, Intl.DateTimeFormat>();

function zoneFormatter(zone: string): Intl.DateTimeFormat {
  let format = zoneFormatters.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    zoneFormatters.set(zone, format);
  }
  return format;
}

/** Offset of `zone` from UTC at the UTC instant `utcMs`, in ms (positive east of Greenwich). */
function zoneOffsetMs(zone: string, utcMs: number): number {
  const parts = zoneFormatter(zone).formatToParts(new Date(utcMs));
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
  // Read by position (YYYY-MM-DDTHH:MM:SS, then .F to .FFFFFF): it runs for every
  // sample, and a regular expression's match array and capture strings made it
  // allocate 1.2 KB per timestamp, a tenth of what a cycle allocated.
  const length = text.length;
  if (length < 19 || length === 20 || length > 26) return null;
  if (
    text.charCodeAt(4) !== 45 || // -
    text.charCodeAt(7) !== 45 ||
    text.charCodeAt(10) !== 84 || // T
    text.charCodeAt(13) !== 58 || // :
    text.charCodeAt(16) !== 58 ||
    (length > 19 && text.charCodeAt(19) !== 46) // .
  )
    return null;
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 2);
  const day = digitsAt(text, 8, 2);
  const hour = digitsAt(text, 11, 2);
  const minute = digitsAt(text, 14, 2);
  const second = digitsAt(text, 17, 2);
  const micros = length > 19 ? digitsAt(text, 20, length - 20) * FRACTION_SCALE[length - 20]! : 0;
  if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0 || micros < 0) return null;
  const wallMs = utcMsOf(year, month, day, hour, minute, second);
  if (wallMs === null) return null;
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
