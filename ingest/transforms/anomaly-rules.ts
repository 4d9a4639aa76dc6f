// Anomaly rules, evaluated on each fresh sample before it joins its rolling
// window (so an outlier is judged against the past, not against itself).
// Value rules: fixed thresholds per metric, a statistical outlier against the
// rolling mean (zscore), a departure from the device's own recent level
// (level_shift), a stuck sensor. Battery rules: low level, fast discharge
// (battery_drain). Condition rules (thresholds, battery_low, battery_drain)
// are edge-triggered: one event when the condition starts, none while it
// lasts, re-armed once it has cleared (past a hysteresis margin where a value
// may hover at the bound). Silence is judged per cycle by SilenceTracker.
// Events carry the sample's timestamp and fixed tags, so re-detecting one
// after a restart overwrites the same InfluxDB point.
import { median, medianAbsoluteDeviation } from "simple-statistics";
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
  /** What the value was judged against (rolling mean, recent median, previous reading); null for fixed bounds. */
  baseline: number | null;
  /** The limit: the bound the value crossed, or the limit `score` passed for statistical and rate rules. */
  threshold: number;
  score: number;
  message: string;
}

export interface Bounds {
  high?: number;
  low?: number;
  /** A crossed bound re-arms once the value is back inside it by this much (default 0). */
  hysteresis?: number;
}

export interface RulesConfig {
  /** Values strictly above `high` or below `low` fire; per metric. */
  thresholds: Partial<Record<Metric, Bounds>>;
  batteryLow: number;
  /** A low battery is reported again only after it has been back above batteryLow + this. */
  batteryLowHysteresis: number;
  /**
   * A fall of at least `points` since the previous reading, at `perHour` points an hour or
   * faster, by a battery that rose at most once (a recharge) in its last `readings`.
   */
  batteryDrain: { points: number; perHour: number; readings: number };
  zscore: { bound: number; minSamples: number; metrics: Metric[] };
  /** |value - median of the last `samples`| above `bound` robust deviations (1.4826 x MAD). */
  levelShift: { samples: number; bound: number; metrics: Metric[] };
  /** The smallest departure from its baseline a statistical rule (zscore, level_shift) reports. */
  minChange: Partial<Record<Metric, number>>;
  /** Metrics that legitimately hold still (battery) are left out via `metrics`. */
  stuck: { count: number; metrics: Metric[] };
  silent: { cycles: number };
}

const VALUE_METRICS: Metric[] = ["temperature", "humidity", "activity_level"];

export const DEFAULT_RULES: RulesConfig = {
  // The upstream's normal ranges are temperature [20, 30] and humidity
  // [40, 80]; bounds sit outside them so uniform noise never fires.
  thresholds: {
    temperature: { high: 32, low: 15, hysteresis: 1 },
    humidity: { high: 85, low: 30, hysteresis: 3 },
    activity_level: { high: 90, low: 30, hysteresis: 3 },
  },
  batteryLow: 15,
  batteryLowHysteresis: 5,
  // A normal discharge takes two days or more from full (under 2 points an
  // hour); a fault drains several points a minute.
  batteryDrain: { points: 3, perHour: 12, readings: 10 },
  zscore: { bound: 4, minSamples: 20, metrics: VALUE_METRICS },
  levelShift: { samples: 10, bound: 6, metrics: VALUE_METRICS },
  // About four times what a metric moves in ten normal minutes (daily cycle
  // and noise): a trend is not an anomaly, a drop of a few degrees is.
  minChange: { temperature: 4, humidity: 12, activity_level: 15 },
  stuck: { count: 5, metrics: VALUE_METRICS },
  silent: { cycles: 3 },
};

/** Robust standard deviations per MAD for normally distributed data. */
const MAD_SCALE = 1.4826;
const round = (x: number) => Math.round(x * 1000) / 1000;

function event(
  sample: Sample,
  rule: AnomalyRule,
  severity: Severity,
  judged: { baseline: number | null; threshold: number; score: number },
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
    baseline: judged.baseline === null ? null : round(judged.baseline),
    threshold: round(judged.threshold),
    score: round(judged.score),
    message,
  };
}

export class AnomalyDetector {
  /** Per device+metric: the last value and how many times in a row it came. */
  private readonly runs = new Map<string, { value: number; length: number }>();
  /** Edge-triggered conditions in force, per device, metric and rule. */
  private readonly active = new Set<string>();

  constructor(private readonly rules: RulesConfig) {}

  /** Judges `sample` against `window` (its past) and returns the events it triggers. */
  evaluate(sample: Sample, window: RollingWindow): AnomalyEvent[] {
    const events: AnomalyEvent[] = [];
    this.thresholds(sample, events);
    if (sample.metric === "battery_level") {
      this.batteryLow(sample, events);
      this.batteryDrain(sample, window, events);
    }
    this.zscore(sample, window, events);
    this.levelShift(sample, window, events);
    this.stuck(sample, events);
    return events;
  }

  forget(device: string): void {
    const prefix = `${device}\u0000`;
    for (const k of this.runs.keys()) if (k.startsWith(prefix)) this.runs.delete(k);
    for (const k of this.active) if (k.startsWith(prefix)) this.active.delete(k);
  }

  /** Edge trigger: true once when `firing` starts; re-armed only once `cleared`. */
  private starts(sample: Sample, rule: AnomalyRule, firing: boolean, cleared: boolean): boolean {
    const k = `${sample.device}\u0000${sample.metric}\u0000${rule}`;
    if (this.active.has(k)) {
      if (cleared) this.active.delete(k);
      return false;
    }
    if (firing) this.active.add(k);
    return firing;
  }

  private thresholds(sample: Sample, events: AnomalyEvent[]): void {
    const { metric, value } = sample;
    const bounds = this.rules.thresholds[metric];
    if (!bounds) return;
    const margin = bounds.hysteresis ?? 0;
    const { high, low } = bounds;
    if (high !== undefined && this.starts(sample, "threshold_high", value > high, value <= high - margin)) {
      const judged = { baseline: null, threshold: high, score: value - high };
      events.push(event(sample, "threshold_high", "warning", judged, `${metric} ${value} above ${high}`));
    }
    if (low !== undefined && this.starts(sample, "threshold_low", value < low, value >= low + margin)) {
      const judged = { baseline: null, threshold: low, score: low - value };
      events.push(event(sample, "threshold_low", "warning", judged, `${metric} ${value} below ${low}`));
    }
  }

  private batteryLow(sample: Sample, events: AnomalyEvent[]): void {
    const { value } = sample;
    const low = this.rules.batteryLow;
    if (!this.starts(sample, "battery_low", value < low, value >= low + this.rules.batteryLowHysteresis))
      return;
    const severity: Severity = value < low / 2 ? "critical" : "warning";
    const judged = { baseline: null, threshold: low, score: low - value };
    events.push(event(sample, "battery_low", severity, judged, `battery ${value}% below ${low}%`));
  }

  private batteryDrain(sample: Sample, window: RollingWindow, events: AnomalyEvent[]): void {
    const previous = window.newest();
    if (!previous || previous.timeUs >= sample.timeUs) return;
    const fall = previous.value - sample.value;
    const perHour = (fall * 3_600e6) / (sample.timeUs - previous.timeUs);
    const { points, perHour: limit } = this.rules.batteryDrain;
    const draining = fall >= points && perHour >= limit && !this.erratic(window);
    if (!this.starts(sample, "battery_drain", draining, !draining)) return;
    const minutes = round((sample.timeUs - previous.timeUs) / 60e6);
    const judged = { baseline: previous.value, threshold: limit, score: perHour };
    events.push(
      event(
        sample,
        "battery_drain",
        "warning",
        judged,
        `battery fell ${round(fall)} points in ${minutes} min to ${sample.value}% (${Math.round(perHour)} points/h, limit ${limit})`,
      ),
    );
  }

  /**
   * A battery only rises when it is charged, in one jump; one that rose more than once
   * in its last readings is served as noise (as the upstream's own API does), and its
   * falls say nothing about a drain. Half the readings are needed to tell.
   */
  private erratic(window: RollingWindow): boolean {
    const { readings } = this.rules.batteryDrain;
    const recent = window.last(readings);
    // Too few readings to tell a battery from noise: not judged yet.
    if (recent.length * 2 < readings) return true;
    let rises = 0;
    for (let i = 1; i < recent.length; i++) if (recent[i]! > recent[i - 1]!) rises++;
    return rises > 1;
  }

  private zscore(sample: Sample, window: RollingWindow, events: AnomalyEvent[]): void {
    const { bound, minSamples, metrics } = this.rules.zscore;
    if (window.count < minSamples || !metrics.includes(sample.metric)) return;
    const { mean, stddev } = window.meanAndStddev();
    if (stddev <= 0) return;
    const { metric, value } = sample;
    const z = (value - mean) / stddev;
    if (Math.abs(z) <= bound || Math.abs(value - mean) < (this.rules.minChange[metric] ?? 0)) return;
    const judged = { baseline: mean, threshold: bound, score: Math.abs(z) };
    events.push(
      event(
        sample,
        "zscore",
        Math.abs(z) > 2 * bound ? "critical" : "warning",
        judged,
        `${metric} ${value} is ${round(z)} standard deviations from the rolling mean ${round(mean)}`,
      ),
    );
  }

  private levelShift(sample: Sample, window: RollingWindow, events: AnomalyEvent[]): void {
    const { samples, bound, metrics } = this.rules.levelShift;
    const { metric, value } = sample;
    if (!metrics.includes(metric)) return;
    const recent = window.last(samples);
    // A full window: with fewer, a short episode can be most of it and its end read as a shift.
    if (recent.length < samples) return;
    const level = median(recent);
    const limit = Math.max(
      bound * MAD_SCALE * medianAbsoluteDeviation(recent),
      this.rules.minChange[metric] ?? 0,
    );
    const change = value - level;
    if (Math.abs(change) < limit || change === 0) return;
    const judged = { baseline: level, threshold: limit, score: Math.abs(change) };
    const direction = change > 0 ? "above" : "below";
    events.push(
      event(
        sample,
        "level_shift",
        "warning",
        judged,
        `${metric} ${value} is ${round(Math.abs(change))} ${direction} its recent level ${round(level)}`,
      ),
    );
  }

  private stuck(sample: Sample, events: AnomalyEvent[]): void {
    const { metric, value } = sample;
    const k = `${sample.device}\u0000${metric}`;
    const run = this.runs.get(k);
    const length = run && run.value === value ? run.length + 1 : 1;
    this.runs.set(k, { value, length });
    // Fires once per run, when it reaches the count.
    if (length !== this.rules.stuck.count || !this.rules.stuck.metrics.includes(metric)) return;
    const judged = { baseline: null, threshold: this.rules.stuck.count, score: length };
    events.push(
      event(sample, "stuck", "warning", judged, `${metric} stuck at ${value} for ${length} samples`),
    );
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
      baseline: null,
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
