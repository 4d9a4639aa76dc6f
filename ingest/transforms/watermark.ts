// Dedupe by watermark: per device and metric, only samples strictly newer than
// the newest one already accepted pass. The upstream's history windows
// overlap, shift and (under faults) repeat or reorder entries; this stage
// turns them into each sample exactly once.
import type { Sample } from "../source/sample.js";

const key = (device: string, metric: string) => `${device}\u0000${metric}`;

export interface Selection {
  /** New samples, oldest first, one per timestamp. */
  fresh: Sample[];
  /** Samples at or behind the watermark, or repeated within the batch. */
  duplicates: number;
}

export class Watermarks {
  private readonly marks = new Map<string, number>();

  get(device: string, metric: string): number | undefined {
    return this.marks.get(key(device, metric));
  }

  /** Raises a watermark; never lowers it. */
  raise(device: string, metric: string, timeUs: number): void {
    const k = key(device, metric);
    const current = this.marks.get(k);
    if (current === undefined || timeUs > current) this.marks.set(k, timeUs);
  }

  /** Picks what is new in `samples` (of any devices/metrics) without moving the watermarks. */
  select(samples: readonly Sample[]): Selection {
    const sorted = [...samples].sort((a, b) => a.timeUs - b.timeUs);
    const seen = new Set<string>();
    const fresh: Sample[] = [];
    for (const s of sorted) {
      const k = key(s.device, s.metric);
      const mark = this.marks.get(k);
      const id = `${k}\u0000${s.timeUs}`;
      if ((mark !== undefined && s.timeUs <= mark) || seen.has(id)) continue;
      seen.add(id);
      fresh.push(s);
    }
    return { fresh, duplicates: samples.length - fresh.length };
  }

  /** Moves watermarks past accepted samples (call once they are durably queued). */
  advance(samples: readonly Sample[]): void {
    for (const s of samples) this.raise(s.device, s.metric, s.timeUs);
  }

  /** Forgets a device that left the fleet. */
  forget(device: string): void {
    const prefix = `${device}\u0000`;
    for (const k of this.marks.keys()) if (k.startsWith(prefix)) this.marks.delete(k);
  }

  entries(): { device: string; metric: string; timeUs: number }[] {
    return [...this.marks].map(([k, timeUs]) => {
      const [device = "", metric = ""] = k.split("\u0000");
      return { device, metric, timeUs };
    });
  }

  get size(): number {
    return this.marks.size;
  }
}
