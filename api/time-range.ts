// start/stop/every as the API accepts them: Flux-style relative durations
// ("-1h", "-1h30m"), "now", or RFC 3339 times. Everything is resolved to
// absolute instants here and re-rendered by the Flux layer, so no user text
// ever reaches a query.
import { UNIT_MS, parseDurationMs, utcMsOf } from "../shared/time.js";
import { DURATION_GRAMMAR_HELP, EVERY_PATTERN, TIME_PATTERN } from "./patterns.js";

export { parseDurationMs };
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * InfluxDB stores int64 nanoseconds: keep every instant well inside what it and
 * Flux accept. TIME_PATTERN already keeps texts within (RFC 3339 years
 * 1970..2261 with any offset, relative times under 50 years back); this guards
 * the instants whatever the caller.
 */
export const MIN_TIME_MS = Date.UTC(1969, 11, 31);
export const MAX_TIME_MS = Date.UTC(2262, 0, 2);

export const TIME_FORMAT_HELP = `a negative duration such as "-1h" or "-2d12h" (${DURATION_GRAMMAR_HELP}), "now", or an RFC 3339 time such as "2026-01-31T12:00:00Z" (a calendar date of the years 1970 to 2261, seconds required, a fraction of up to 9 digits and a zone Z or ±hh:mm)`;
export const DURATION_FORMAT_HELP = `a duration such as "30s", "5m", "1h" or "1h30m" (${DURATION_GRAMMAR_HELP})`;

export class RangeInputError extends Error {
  constructor(
    readonly parameter: string,
    message: string,
  ) {
    super(message);
    this.name = "RangeInputError";
  }
}

/** Milliseconds since the epoch of an RFC 3339 time; undefined when invalid (e.g. February 30). */
export function parseRfc3339Ms(text: string): number | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const wallMs = utcMsOf(year, month, day, hour, minute, second);
  if (wallMs === null) return undefined;
  const zone = m[8]!;
  let offsetMin = 0;
  if (zone !== "Z" && zone !== "z") {
    const [h, mm] = zone.slice(1).split(":").map(Number) as [number, number];
    if (h > 23 || mm > 59) return undefined;
    offsetMin = (zone.startsWith("-") ? -1 : 1) * (h * 60 + mm);
  }
  // Sub-millisecond digits are dropped: the API works at millisecond precision.
  const fraction = m[7] ? Math.trunc(Number(`0${m[7]}`) * 1000) : 0;
  return wallMs + fraction - offsetMin * 60_000;
}

/** One time parameter -> ms since the epoch, relative to `nowMs`. Throws RangeInputError. */
export function parseTime(parameter: string, text: string, nowMs: number): number {
  let ms: number | undefined;
  if (!TIME_PATTERN.test(text)) ms = undefined;
  else if (text === "now" || text === "now()") ms = nowMs;
  else if (text.startsWith("-")) {
    const d = parseDurationMs(text.slice(1));
    ms = d === undefined ? undefined : nowMs - d;
  } else ms = parseRfc3339Ms(text);
  if (ms === undefined) throw new RangeInputError(parameter, `${parameter} must be ${TIME_FORMAT_HELP}`);
  if (ms < MIN_TIME_MS || ms >= MAX_TIME_MS)
    throw new RangeInputError(parameter, `${parameter} must lie between 1969-12-31 and 2262-01-02`);
  return ms;
}

export interface TimeRange {
  readonly startMs: number;
  readonly stopMs: number;
}

export interface RangeLimits {
  readonly maxRangeMs: number;
  readonly defaultStart: string;
  readonly defaultStop?: string;
}

/** start/stop -> an absolute range, start < stop, no longer than the limit. */
export function parseRange(
  input: { start?: string | undefined; stop?: string | undefined },
  limits: RangeLimits,
  nowMs: number,
): TimeRange {
  const startMs = parseTime("start", input.start ?? limits.defaultStart, nowMs);
  const stopMs = parseTime("stop", input.stop ?? limits.defaultStop ?? "now", nowMs);
  if (startMs >= stopMs) throw new RangeInputError("start", "start must be before stop");
  if (stopMs - startMs > limits.maxRangeMs)
    throw new RangeInputError(
      "start",
      `the range start..stop may span at most ${formatDuration(limits.maxRangeMs)}`,
    );
  return { startMs, stopMs };
}

/**
 * "every" for aggregateWindow: EVERY_PATTERN, a duration of at least 1 s
 * (written with a unit of seconds or more, or as at least 1000ms). No upper
 * bound beyond the grammar's (under 50 years): an every longer than the range
 * gives one window.
 */
export function parseEvery(text: string): number {
  const ms = EVERY_PATTERN.test(text) ? parseDurationMs(text) : undefined;
  if (ms === undefined)
    throw new RangeInputError("every", `every must be ${DURATION_FORMAT_HELP}, at least 1s`);
  return ms;
}

/** Windows aggregateWindow yields over a range at most (a partial last window counts). */
export function windowCount(range: TimeRange, everyMs: number): number {
  return Math.ceil((range.stopMs - range.startMs) / everyMs);
}

/** The smallest whole-second `every` that keeps a range within `maxPoints` windows. */
export function autoEvery(range: TimeRange, maxPoints: number, minMs = 60_000): number {
  const needed = Math.ceil((range.stopMs - range.startMs) / maxPoints / 1000) * 1000;
  return Math.max(minMs, needed);
}

/** Canonical rendering ("1d2h", "90s") used for Flux durations and messages. */
export function formatDuration(ms: number): string {
  if (ms <= 0) return "0s";
  let rest = ms;
  let out = "";
  for (const unit of ["d", "h", "m", "s", "ms"] as const) {
    const size = UNIT_MS[unit];
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out;
}
