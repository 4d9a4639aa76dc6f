// Rolling statistics per device and metric over a window of the last N
// samples or the last D of time. The window is updated incrementally (push,
// evict); the summary is computed with simple-statistics when written, once
// per cycle per device and metric that got new data.
import { mean, quantileSorted, sampleStandardDeviation } from "simple-statistics";
import type { WindowSpec } from "./window-spec.js";
import type { Sample } from "../sample.js";

export interface Summary {
  mean: number;
  min: number;
  max: number;
  /** Sample standard deviation; 0 with one sample. */
  stddev: number;
  count: number;
  p95: number;
  /** Time of the newest sample in the window. */
  timeUs: number;
}

/** Evicted samples kept before the arrays are compacted, so tiny windows do not slice on every push. */
const COMPACT_MIN = 16;

export class RollingWindow {
  private times: number[] = [];
  private vals: number[] = [];
  private head = 0;

  constructor(private readonly spec: WindowSpec) {}

  /** Adds a sample in time order: a late one (a history gap filled in) goes where it belongs. */
  push(timeUs: number, value: number): void {
    const n = this.times.length;
    if (n === this.head || timeUs >= this.times[n - 1]!) {
      this.times.push(timeUs);
      this.vals.push(value);
    } else {
      let lo = this.head;
      let hi = n;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (this.times[mid]! <= timeUs) lo = mid + 1;
        else hi = mid;
      }
      this.times.splice(lo, 0, timeUs);
      this.vals.splice(lo, 0, value);
    }
    this.evict(this.times[this.times.length - 1]!);
  }

  private evict(newestUs: number): void {
    const spec = this.spec;
    if (spec.kind === "count") {
      while (this.times.length - this.head > spec.size) this.head++;
    } else {
      while (this.head < this.times.length && this.times[this.head]! <= newestUs - spec.us) this.head++;
    }
    // Compact once the evicted prefix outgrows the live window: eviction stays
    // O(1) amortised and a window never holds more than about twice its size.
    // (A fixed 1,024 here let each window keep up to 2,000 evicted samples:
    // 28 KB per device after 10 hours at one sample a minute.)
    if (this.head >= COMPACT_MIN && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head);
      this.vals = this.vals.slice(this.head);
      this.head = 0;
    }
  }

  get count(): number {
    return this.times.length - this.head;
  }

  /** Samples held in memory, evicted ones not yet compacted away included. */
  get retained(): number {
    return this.times.length;
  }

  values(): number[] {
    return this.vals.slice(this.head);
  }

  /** The most recent values, newest last. */
  last(n: number): number[] {
    return this.vals.slice(Math.max(this.head, this.vals.length - n));
  }

  /** The newest sample, or undefined when the window is empty. */
  newest(): { timeUs: number; value: number } | undefined {
    const n = this.times.length;
    return n > this.head ? { timeUs: this.times[n - 1]!, value: this.vals[n - 1]! } : undefined;
  }

  /** Mean and sample standard deviation in one pass, without copying (the outlier rule needs no more). */
  meanAndStddev(): { mean: number; stddev: number } {
    const n = this.count;
    let sum = 0;
    for (let i = this.head; i < this.vals.length; i++) sum += this.vals[i]!;
    const mean = n > 0 ? sum / n : Number.NaN;
    let squares = 0;
    for (let i = this.head; i < this.vals.length; i++) squares += (this.vals[i]! - mean) ** 2;
    return { mean, stddev: n > 1 ? Math.sqrt(squares / (n - 1)) : 0 };
  }

  summary(): Summary | null {
    if (this.count === 0) return null;
    // A copy of the window: what depends on order is taken before it is sorted in place.
    const values = this.values();
    const average = mean(values);
    const stddev = values.length > 1 ? sampleStandardDeviation(values) : 0;
    values.sort((a, b) => a - b);
    return {
      mean: average,
      min: values[0]!,
      max: values[values.length - 1]!,
      stddev,
      count: values.length,
      p95: quantileSorted(values, 0.95),
      timeUs: this.times[this.times.length - 1]!,
    };
  }
}

/** One window per device and metric. */
export class RollingStats {
  private readonly windows = new Map<string, RollingWindow>();

  constructor(readonly spec: WindowSpec) {}

  window(device: string, metric: string): RollingWindow {
    const k = `${device}\u0000${metric}`;
    let w = this.windows.get(k);
    if (!w) {
      w = new RollingWindow(this.spec);
      this.windows.set(k, w);
    }
    return w;
  }

  add(sample: Sample): void {
    this.window(sample.device, sample.metric).push(sample.timeUs, sample.value);
  }

  forget(device: string): void {
    const prefix = `${device}\u0000`;
    for (const k of this.windows.keys()) if (k.startsWith(prefix)) this.windows.delete(k);
  }
}
