// The simulator's time source and the upstream's timestamp format.
import { utcMsOf } from "../shared/time.js";

export type Now = () => number;

/** Wall clock in milliseconds with sub-millisecond precision (for the microseconds field). */
export const realNow: Now = () => performance.timeOrigin + performance.now();

/**
 * Simulated time: `timeScale` times faster than `now` from the instant the clock
 * is created, so a demo at timeScale 60 produces a new minute every second.
 */
export function scaledClock(now: Now = realNow, timeScale = 1): Now {
  if (timeScale === 1) return now;
  const start = now();
  return () => start + (now() - start) * timeScale;
}

export const MINUTE_MS = 60_000;

export function minuteOf(ms: number): number {
  return Math.floor(ms / MINUTE_MS);
}

/**
 * ISO-8601 without a zone, with microseconds, as Python's datetime.isoformat()
 * prints a naive UTC time: `2026-11-26T10:15:30.123456`.
 */
export function formatTimestamp(ms: number): string {
  const whole = Math.floor(ms);
  const micros = Math.min(999, Math.floor((ms - whole) * 1000));
  return `${new Date(whole).toISOString().slice(0, 23)}${String(micros).padStart(3, "0")}`;
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * Parses an ISO-8601 timestamp; without a zone it is UTC, like the served
 * timestamps. Returns milliseconds (with fractions for microseconds) or null.
 */
export function parseTimestamp(text: string): number | null {
  const m = ISO.exec(text.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, s, frac = "", zone] = m;
  const base = utcMsOf(Number(y), Number(mo), Number(d), Number(h), Number(mi), Number(s));
  if (base === null) return null;
  let offsetMin = 0;
  if (zone && zone !== "Z") {
    const sign = zone.startsWith("-") ? -1 : 1;
    const digits = zone.slice(1).replace(":", "");
    offsetMin = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2)));
  }
  return base + Number(`0.${frac.padEnd(6, "0")}`) * 1000 - offsetMin * MINUTE_MS;
}
