// Dedupe by watermark: per device and metric, a sample passes when it is newer
// than the newest one already accepted, or when it fills a gap. The upstream's
// history windows overlap, shift and (under faults) repeat, reorder or damage
// entries; this stage turns them into each sample exactly once.
//
// Gaps: on the history grid, a slot below the watermark that was never taken
// (its entry came damaged, or the answer skipped it) stays open while the
// upstream can still serve it, so a later answer fills it in. Nothing newer
// has to wait for it, and a damaged entry costs at most its own slot.
import type { Sample } from "../sample.js";
import type { HistoryGrid } from "./history-grid.js";

const key = (device: string, metric: string) => `${device}\u0000${metric}`;

export interface Selection {
  /** New samples, oldest first, one per timestamp. */
  fresh: Sample[];
  /** Samples at or behind the watermark (and not filling a gap), or repeated within the batch. */
  duplicates: number;
}

export interface WatermarkEntry {
  device: string;
  metric: string;
  timeUs: number;
  /** Open slots below `timeUs` (history metrics only). */
  gaps?: number[];
}

export class Watermarks {
  private readonly marks = new Map<string, number>();
  private readonly gaps = new Map<string, Set<number>>();

  /** Without a grid, no gaps are kept: only samples newer than the mark pass. */
  constructor(private readonly grid?: HistoryGrid) {}

  get(device: string, metric: string): number | undefined {
    return this.marks.get(key(device, metric));
  }

  /** Open slots below the mark, oldest first. */
  openSlots(device: string, metric: string): number[] {
    return [...(this.gaps.get(key(device, metric)) ?? [])].sort((a, b) => a - b);
  }

  /** Raises a watermark; never lowers it. */
  raise(device: string, metric: string, timeUs: number): void {
    const k = key(device, metric);
    const current = this.marks.get(k);
    if (current === undefined || timeUs > current) this.marks.set(k, timeUs);
  }

  /** Restores a saved entry: raises the mark and reopens its gaps (those still servable). */
  restore(entry: WatermarkEntry): void {
    this.raise(entry.device, entry.metric, entry.timeUs);
    if (!this.grid || !entry.gaps?.length) return;
    const k = key(entry.device, entry.metric);
    const open = this.gaps.get(k) ?? new Set<number>();
    for (const t of entry.gaps) open.add(t);
    this.gaps.set(k, open);
    this.prune(k);
  }

  /**
   * Settles one history series against what the store holds near its mark,
   * after a restart: a slot the store holds is taken; a slot the store lacks
   * is open unless the local state (trusted up to `localMarkUs`) took it and
   * it may still be on its way (spooled). Without local state, every slot
   * the store lacks in the servable span is open.
   */
  reconcile(device: string, metric: string, stored: ReadonlySet<number>, localMarkUs?: number): void {
    const grid = this.grid;
    const k = key(device, metric);
    const mark = this.marks.get(k);
    if (!grid || !grid.isGridded(metric) || mark === undefined) return;
    const open = this.gaps.get(k) ?? new Set<number>();
    for (let t = grid.oldestServed(mark); t < mark; t += grid.stepUs) {
      if (stored.has(t)) open.delete(t);
      else if (localMarkUs === undefined || t > localMarkUs) open.add(t);
    }
    this.gaps.set(k, open);
    this.prune(k);
  }

  /** Picks what is new in `samples` (of any devices/metrics) without moving the watermarks. */
  select(samples: readonly Sample[]): Selection {
    const sorted = [...samples].sort((a, b) => a.timeUs - b.timeUs);
    const seen = new Set<string>();
    const fresh: Sample[] = [];
    for (const s of sorted) {
      const k = key(s.device, s.metric);
      const mark = this.marks.get(k);
      const isNew = mark === undefined || s.timeUs > mark || this.gaps.get(k)?.has(s.timeUs) === true;
      if (!isNew) continue;
      // Most of a steady cycle's samples are behind their mark: only a new one needs its id.
      const id = `${k}\u0000${s.timeUs}`;
      if (seen.has(id)) continue;
      seen.add(id);
      fresh.push(s);
    }
    return { fresh, duplicates: samples.length - fresh.length };
  }

  /** Moves watermarks past accepted samples, closing and opening gaps (call once they are durably queued). */
  advance(samples: readonly Sample[]): void {
    const byKey = new Map<string, { device: string; metric: string; times: Set<number> }>();
    for (const s of samples) {
      const k = key(s.device, s.metric);
      let group = byKey.get(k);
      if (!group) byKey.set(k, (group = { device: s.device, metric: s.metric, times: new Set() }));
      group.times.add(s.timeUs);
    }
    for (const [k, { device, metric, times }] of byKey) {
      const before = this.marks.get(k);
      this.raise(device, metric, Math.max(...times));
      if (this.grid?.isGridded(metric)) this.openSkipped(k, before, times);
    }
  }

  /** Gap bookkeeping of one history series after `taken` were accepted. */
  private openSkipped(k: string, before: number | undefined, taken: ReadonlySet<number>): void {
    const grid = this.grid!;
    const mark = this.marks.get(k)!;
    const open = this.gaps.get(k) ?? new Set<number>();
    for (const t of taken) open.delete(t);
    // Slots between the old mark and the new one that were not taken; first time, every servable
    // slot below the new mark (the oldest entries of a first answer may come damaged, then valid).
    const from = before === undefined ? grid.oldestServed(mark) : grid.slotOf(before) + grid.stepUs;
    for (let t = Math.max(from, grid.oldestServed(mark)); t < mark; t += grid.stepUs) {
      if (!taken.has(t)) open.add(t);
    }
    this.gaps.set(k, open);
    this.prune(k);
  }

  /** Drops gaps the upstream can no longer serve. */
  private prune(k: string): void {
    const open = this.gaps.get(k);
    const mark = this.marks.get(k);
    if (!open || mark === undefined || !this.grid) return;
    const oldest = this.grid.oldestServed(mark);
    for (const t of open) if (t < oldest || t >= mark) open.delete(t);
    if (open.size === 0) this.gaps.delete(k);
  }

  /** Forgets a device that left the fleet. */
  forget(device: string): void {
    const prefix = `${device}\u0000`;
    for (const k of this.marks.keys()) if (k.startsWith(prefix)) this.marks.delete(k);
    for (const k of this.gaps.keys()) if (k.startsWith(prefix)) this.gaps.delete(k);
  }

  entries(): WatermarkEntry[] {
    return [...this.marks].map(([k, timeUs]) => {
      const [device = "", metric = ""] = k.split("\u0000");
      const open = this.gaps.get(k);
      return { device, metric, timeUs, ...(open?.size ? { gaps: [...open].sort((a, b) => a - b) } : {}) };
    });
  }

  get size(): number {
    return this.marks.size;
  }
}
