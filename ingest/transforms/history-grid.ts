// The upstream's history is a grid: ten entries at `call time - k minutes`,
// with new timestamps (to the microsecond) on every call. Two calls therefore
// never name the same minute with the same time, and a watermark on served
// times lets the same minute in twice. Each history sample is moved to the
// start of its slot (the minute it was served in), so a minute has one
// identity whatever the call time: the watermark sees it once, and if it is
// written again anyway (local state lost) InfluxDB's series+time identity
// overwrites the same point instead of adding one.
import { HISTORY_METRIC } from "../../shared/schema.js";
import type { Sample } from "../sample.js";

/** Entries in one upstream history answer (newest at the call time, then one step older each). */
export const UPSTREAM_HISTORY_ENTRIES = 10;

const HISTORY_METRICS: ReadonlySet<string> = new Set(Object.values(HISTORY_METRIC));

export class HistoryGrid {
  /**
   * @param stepUs the history's resolution (INGEST_HISTORY_RESOLUTION), µs
   * @param entries how many slots one answer covers
   */
  constructor(
    readonly stepUs: number,
    readonly entries = UPSTREAM_HISTORY_ENTRIES,
  ) {
    if (!Number.isInteger(stepUs) || stepUs <= 0) throw new RangeError(`grid step must be > 0 µs: ${stepUs}`);
  }

  /** Metrics that come from history (gridded); the current reading's (battery) keep their own times. */
  isGridded(metric: string): boolean {
    return HISTORY_METRICS.has(metric);
  }

  /** Start of the slot `timeUs` falls in. */
  slotOf(timeUs: number): number {
    return Math.floor(timeUs / this.stepUs) * this.stepUs;
  }

  /** Oldest slot an answer whose newest slot is `newestUs` still holds. */
  oldestServed(newestUs: number): number {
    return this.slotOf(newestUs) - (this.entries - 1) * this.stepUs;
  }

  /** History samples moved to their slot's start; others untouched. */
  align(samples: readonly Sample[]): Sample[] {
    return samples.map((s) => (this.isGridded(s.metric) ? { ...s, timeUs: this.slotOf(s.timeUs) } : s));
  }
}
