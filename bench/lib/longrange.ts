// Pure helpers of the long-range scenario (bench/scenarios/longrange.ts):
// which ranges a load covers, Grafana's v.windowPeriod and the Flux text a
// dashboard query becomes, and small summaries of measured requests. No I/O.
import { percentile } from "./stats.js";

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

export interface BenchRange {
  /** As the API takes it after "-" and as the report shows it: 1h, 24h, 7d, 30d. */
  label: string;
  ms: number;
  /** Grafana's name for the quick range ("Last 7 days"). */
  grafana: string;
}

export const LONG_RANGES: readonly BenchRange[] = [
  { label: "1h", ms: HOUR_MS, grafana: "Last 1 hour" },
  { label: "24h", ms: DAY_MS, grafana: "Last 24 hours" },
  { label: "7d", ms: 7 * DAY_MS, grafana: "Last 7 days" },
  { label: "30d", ms: 30 * DAY_MS, grafana: "Last 30 days" },
];

/** The range label of the endpoints that take no range: they read API_DEVICE_LOOKBACK (default 30d). */
export const LOOKBACK_RANGE = "lookback";

/** The ranges `days` of loaded data cover completely. */
export function rangesCovered(days: number): BenchRange[] {
  return LONG_RANGES.filter((r) => r.ms <= days * DAY_MS);
}

/** Grafana's default when a panel sets no maxDataPoints (here: the brief's 1000; Grafana uses the panel's width). */
export const DEFAULT_MAX_DATA_POINTS = 1000;
/** The datasource's `timeInterval` (grafana-provisioning/datasources): Grafana's lower bound of the interval. */
export const MIN_INTERVAL_MS = MINUTE_MS;

/**
 * v.windowPeriod for a range: range / maxDataPoints, rounded up to a whole
 * second and at least the datasource's minimum interval. Grafana rounds to a
 * "nice" interval instead (kbn.roundInterval); a plain ceiling is close and
 * never gives more points than maxDataPoints.
 */
export function windowPeriodMs(
  rangeMs: number,
  maxDataPoints = DEFAULT_MAX_DATA_POINTS,
  minMs = MIN_INTERVAL_MS,
): number {
  if (!(rangeMs > 0) || !(maxDataPoints > 0))
    throw new RangeError("range and maxDataPoints must be positive");
  return Math.max(minMs, Math.ceil(rangeMs / maxDataPoints / 1000) * 1000);
}

/** A Flux duration literal for whole seconds: 60000 -> "1m", 605000 -> "10m5s", 3600000 -> "1h". */
export function fluxDurationLiteral(ms: number): string {
  if (!Number.isInteger(ms / 1000) || ms <= 0) throw new RangeError(`not whole seconds: ${ms}`);
  let s = ms / 1000;
  let out = "";
  for (const [unit, size] of [
    ["d", 86_400],
    ["h", 3600],
    ["m", 60],
    ["s", 1],
  ] as const) {
    const n = Math.floor(s / size);
    if (n > 0) out += `${n}${unit}`;
    s -= n * size;
  }
  return out;
}

export type Selection = Record<string, string[] | "all">;

export interface GrafanaContext {
  startMs: number;
  stopMs: number;
  windowPeriodMs: number;
  bucket: string;
  org: string;
}

/**
 * The Flux text Grafana sends for a query whose template variables are
 * already substituted (test/support/stack-dashboards.ts substituteVariables):
 * v.timeRangeStart/Stop as RFC 3339 times, v.windowPeriod as a duration,
 * v.defaultBucket and v.organization as strings. Throws if a v.* is left.
 */
export function grafanaFlux(substituted: string, ctx: GrafanaContext): string {
  const text = substituted
    .replaceAll("v.timeRangeStart", new Date(ctx.startMs).toISOString())
    .replaceAll("v.timeRangeStop", new Date(ctx.stopMs).toISOString())
    .replaceAll("v.windowPeriod", fluxDurationLiteral(ctx.windowPeriodMs))
    .replaceAll("v.defaultBucket", JSON.stringify(ctx.bucket))
    .replaceAll("v.organization", JSON.stringify(ctx.org));
  const left = /\bv\.[A-Za-z_]\w*/.exec(text);
  if (left) throw new Error(`Grafana variable ${left[0]} is not substituted`);
  return text;
}

/** The panel title of a queriesOf() `where` ("panel \"Title\" A"); undefined for variables and annotations. */
export function panelTitleOf(where: string): string | undefined {
  return /^panel "(.*)" [^"]*$/.exec(where)?.[1];
}

/** Median of latencies (NaN when none). */
export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** Distinct values, sorted, joined: [200, 200, 503] -> "200, 503"; absent values dropped. */
export function distinct(values: readonly (string | number | undefined)[]): string {
  const set = [...new Set(values.filter((v): v is string | number => v !== undefined))];
  set.sort((a, b) =>
    typeof a === "number" && typeof b === "number" ? a - b : String(a).localeCompare(String(b)),
  );
  return set.join(", ");
}

/** How many times slower a long range is than a short one (e.g. 7d vs 1h); NaN when either is missing. */
export function costRatio(longMs: number | undefined, shortMs: number | undefined): number {
  if (longMs === undefined || shortMs === undefined) return Number.NaN;
  return Number.isFinite(longMs) && Number.isFinite(shortMs) && shortMs > 0 ? longMs / shortMs : Number.NaN;
}
