// Which store answers which part of a range. The hourly rollup holds exact
// sums, counts, sums of squares, mins and maxes of every complete hour it has
// been written for; raw data answers the rest (the partial hours at either
// end, and the recent hours the hourly task has not rolled up yet). Every
// figure combines exactly across the parts, so the answer is the same as
// from raw data alone, at a fraction of the points read.
import { HOUR_MS } from "../../shared/time.js";
import type { TimeRange } from "../time-range.js";
import type { FluxContext } from "./scope.js";

/**
 * The task runs at minute 5 of each hour for the hour before; allow it some
 * minutes to finish. Hours older than this before now are complete.
 */
export const ROLLUP_COMPLETE_AFTER_MS = HOUR_MS + 15 * 60_000;

/** raw: raw data only; rollup: rollup only; rollup+raw: rollup for whole complete hours, raw for the rest. */
export type Source = "raw" | "rollup" | "rollup+raw";
export const SOURCES = ["raw", "rollup", "rollup+raw"] as const;

export interface SourcePlan {
  source: Source;
  /** Whole complete hours read from the rollup, if any. */
  rollup?: TimeRange;
  /** Parts read from raw data (0 to 2). */
  raw: TimeRange[];
}

/** Splits `range` between the rollup (whole hours complete before `nowMs`) and raw data. */
export function planSources(ctx: FluxContext, range: TimeRange, nowMs: number): SourcePlan {
  const whole = { source: "raw" as const, raw: [range] };
  if (ctx.rollup === undefined) return whole;
  const from = Math.ceil(range.startMs / HOUR_MS) * HOUR_MS;
  const until = Math.floor(Math.min(range.stopMs, nowMs - ROLLUP_COMPLETE_AFTER_MS) / HOUR_MS) * HOUR_MS;
  if (until - from < HOUR_MS) return whole;
  const raw: TimeRange[] = [];
  if (range.startMs < from) raw.push({ startMs: range.startMs, stopMs: from });
  if (until < range.stopMs) raw.push({ startMs: until, stopMs: range.stopMs });
  return { source: raw.length ? "rollup+raw" : "rollup", rollup: { startMs: from, stopMs: until }, raw };
}
