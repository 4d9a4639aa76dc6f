// The transforms one device's fetched samples go through, in order: put the
// history on its grid, drop what the watermark has already seen, judge each
// fresh sample against its rolling window (before it joins, so an outlier is
// judged against the past), roll the window, and encode readings and
// statistics. Silence is judged last, from whether anything fresh came.
import type { AnomalyEvent } from "./transforms/anomaly-rules.js";
import type { AnomalyDetector, SilenceTracker } from "./transforms/anomaly-rules.js";
import type { HistoryGrid } from "./transforms/history-grid.js";
import type { RollingStats } from "./transforms/rolling-stats.js";
import type { Watermarks } from "./transforms/watermark.js";
import { readingLine, statsLine } from "./points.js";
import type { Sample } from "./sample.js";
import type { Device } from "./source/responses.js";

export interface ChainStages {
  grid: HistoryGrid;
  watermarks: Watermarks;
  stats: RollingStats;
  detector: AnomalyDetector;
  silence: SilenceTracker;
  /** The `site` tag every line carries (EDGE_SITE); absent or empty = none. */
  site?: string;
}

export interface DeviceFetch {
  samples: Sample[];
  /** Calls that failed (after retries): the device is then not judged silent. */
  failed: number;
}

export interface DeviceOutput {
  /** Samples not seen before, in the order they were judged. */
  fresh: Sample[];
  duplicates: number;
  anomalies: AnomalyEvent[];
  /** Line protocol of the fresh readings and of each touched metric's statistics. */
  lines: string[];
}

/** Runs one device's samples through the chain; the watermarks are read, never moved, here. */
export function transformDevice(
  device: Device,
  fetched: DeviceFetch,
  stages: ChainStages,
  nowUs: number,
): DeviceOutput {
  const { fresh, duplicates } = stages.watermarks.select(stages.grid.align(fetched.samples));
  const out: DeviceOutput = { fresh, duplicates, anomalies: [], lines: [] };
  const touched = new Set<Sample["metric"]>();
  for (const sample of fresh) {
    const window = stages.stats.window(sample.device, sample.metric);
    out.anomalies.push(...stages.detector.evaluate(sample, window));
    window.push(sample.timeUs, sample.value);
    touched.add(sample.metric);
    out.lines.push(readingLine(sample, stages.site));
  }
  for (const metric of touched) {
    const summary = stages.stats.window(device.id, metric).summary();
    if (summary) out.lines.push(statsLine(device, metric, summary, stages.site));
  }
  // A device whose fetch failed is not "silent": the upstream is.
  if (fetched.failed === 0) {
    const event = stages.silence.observe(device, fresh.length > 0, nowUs);
    if (event) out.anomalies.push(event);
  }
  return out;
}
