// Anomaly rules, evaluated on each fresh sample before it joins its rolling
// window (so an outlier is judged against the past, not against itself):
// fixed thresholds per metric, battery low, statistical outlier (|z|), and a
// stuck sensor (the same value N times in a row). Silence is judged per cycle
// by SilenceTracker. Events carry the sample's timestamp and fixed tags, so
// re-detecting one after a restart overwrites the same InfluxDB point.
import type { AnomalyRule, Metric, Severity } from "../../shared/schema.js";
import type { Sample } from "../sample.js";
import type { RollingWindow } from "./rolling-stats.js";

export interface AnomalyEvent {
  device: string;
  client: string;
  type: string;
  /** "all" for device-level events (silent, back). */
  metric: Metric | "all";
  rule: AnomalyRule;
  severity: Severity;
  timeUs: number;
  value: number;
  threshold: number;
  score: number;
  message: string;
}

export interface Bounds {
  high?: number;
  low?: number;
}

export interface RulesConfig {
  /** Values strictly above `high` or below `low` fire; per metric. */
  thresholds: Partial<Record<Metric, Bounds>>;
  batteryLow: number;
  zscore: { bound: number; minSamples: number };
  /** Metrics that legitimately hold still (battery) are left out via `metrics`. */
  stuck: { count: number; metrics: Metric[] };
  silent: { cycles: number };
}

export const DEFAULT_RULES: RulesConfig = {
  // The upstream's normal ranges are temperature [20, 30] and humidity
  // [40, 80]; bounds sit outside them so uniform noise never fires.
  thresholds: {
    temperature: { high: 32, low: 15 },
    humidity: { high: 85, low: 30 },
    activity_level: { high: 90, low: 30 },
  },
  batteryLow: 15,
  zscore: { bound: 4, minSamples: 20 },
  stuck: { count: 5, metrics: ["temperature", "humidity", "activity_level"] },
  silent: { cycles: 3 },
};

const round = (x: number) => Math.round(x * 1000) / 1000;

function event(
  sample: Sample,
  rule: AnomalyRule,
  severity: Severity,
  threshold: number,
  score: number,
  message: string,
): AnomalyEvent {
  return {
    device: sample.device,
    client: sample.client,
    type: sample.type,
    metric: sample.metric,
    rule,
    severity,
    timeUs: sample.timeUs,
    value: sample.value,
    threshold,
    score: round(score),
    message,
  };
}

export class AnomalyDetector {
  /** Per device+metric: the last value and how many times in a row it came. */
  private readonly runs = new Map<string, { value: number; length: number }>();

  constructor(private readonly rules: RulesConfig) {}

  /** Judges `sample` against `window` (its past) and returns the events it triggers. */
  evaluate(sample: Sample, window: RollingWindow): AnomalyEvent[] {
    const events: AnomalyEvent[] = [];
    const { metric, value } = sample;
    const bounds = this.rules.thresholds[metric];
    if (bounds?.high !== undefined && value > bounds.high) {
      events.push(
        event(
          sample,
          "threshold_high",
          "warning",
          bounds.high,
          value - bounds.high,
          `${metric} ${value} above ${bounds.high}`,
        ),
      );
    }
    if (bounds?.low !== undefined && value < bounds.low) {
      events.push(
        event(
          sample,
          "threshold_low",
          "warning",
          bounds.low,
          bounds.low - value,
          `${metric} ${value} below ${bounds.low}`,
        ),
      );
    }
    if (metric === "battery_level" && value < this.rules.batteryLow) {
      const severity: Severity = value < this.rules.batteryLow / 2 ? "critical" : "warning";
      events.push(
        event(
          sample,
          "battery_low",
          severity,
          this.rules.batteryLow,
          this.rules.batteryLow - value,
          `battery ${value}% below ${this.rules.batteryLow}%`,
        ),
      );
    }

    const { bound, minSamples } = this.rules.zscore;
    if (window.count >= minSamples) {
      const stats = window.summary()!;
      if (stats.stddev > 0) {
        const z = (value - stats.mean) / stats.stddev;
        if (Math.abs(z) > bound) {
          events.push(
            event(
              sample,
              "zscore",
              Math.abs(z) > 2 * bound ? "critical" : "warning",
              round(stats.mean),
              Math.abs(z),
              `${metric} ${value} is ${round(z)} standard deviations from the rolling mean ${round(stats.mean)}`,
            ),
          );
        }
      }
    }

    const k = `${sample.device}\u0000${metric}`;
    const run = this.runs.get(k);
    const length = run && run.value === value ? run.length + 1 : 1;
    this.runs.set(k, { value, length });
    // Fires once per run, when it reaches the count.
    if (length === this.rules.stuck.count && this.rules.stuck.metrics.includes(metric)) {
      events.push(
        event(sample, "stuck", "warning", value, length, `${metric} stuck at ${value} for ${length} samples`),
      );
    }
    return events;
  }

  forget(device: string): void {
    const prefix = `${device}\u0000`;
    for (const k of this.runs.keys()) if (k.startsWith(prefix)) this.runs.delete(k);
  }
}

export interface DeviceRef {
  id: string;
  client: string;
  type: string;
}

/**
 * Silent devices: no new sample for `cycles` cycles in a row gives one
 * `silent` event; the first new sample after that gives one `back` event.
 */
export class SilenceTracker {
  private readonly quietCycles = new Map<string, number>();
  private readonly silent = new Set<string>();

  constructor(private readonly cycles: number) {}

  /** Call once per cycle with every known device and whether it brought new samples. */
  observe(device: DeviceRef, gotData: boolean, nowUs: number): AnomalyEvent | null {
    const base = {
      device: device.id,
      client: device.client,
      type: device.type,
      metric: "all" as const,
      timeUs: nowUs,
      value: 0,
    };
    if (gotData) {
      this.quietCycles.set(device.id, 0);
      if (this.silent.delete(device.id)) {
        return {
          ...base,
          rule: "back",
          severity: "info",
          threshold: this.cycles,
          score: 0,
          message: `${device.id} sends data again`,
        };
      }
      return null;
    }
    const quiet = (this.quietCycles.get(device.id) ?? 0) + 1;
    this.quietCycles.set(device.id, quiet);
    if (quiet === this.cycles) {
      this.silent.add(device.id);
      return {
        ...base,
        rule: "silent",
        severity: "warning",
        threshold: this.cycles,
        score: quiet,
        message: `${device.id} sent no new sample for ${quiet} cycles`,
      };
    }
    return null;
  }

  forget(device: string): void {
    this.quietCycles.delete(device);
    this.silent.delete(device);
  }
}
