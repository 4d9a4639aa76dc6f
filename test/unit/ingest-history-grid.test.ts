// The history grid and the gap-keeping watermark against a model of the
// upstream: ten entries at `call time - k minutes` (new microseconds on every
// call), calls at any cadence with jitter, damaged entries, restarts that
// lose local state. Each minute must be taken at most once, and every minute
// served undamaged at least once must be taken, with a value served for it.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Sample } from "../../ingest/sample.js";
import { Checkpoint } from "../../ingest/state/checkpoint.js";
import { HistoryGrid } from "../../ingest/transforms/history-grid.js";
import { Watermarks } from "../../ingest/transforms/watermark.js";

const MIN_US = 60_000_000;
const grid = new HistoryGrid(MIN_US);

/** Deterministic PRNG (mulberry32), so a failure replays. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sample = (timeUs: number, value: number, metric: Sample["metric"] = "temperature"): Sample => ({
  device: "device_1",
  client: "client_1",
  type: "temperature_sensor",
  metric,
  timeUs,
  value,
});

/** One upstream answer at `callUs`: valid entries only (damaged ones are rejected by the source). */
function answer(callUs: number, damaged: () => boolean, valueOf: (minute: number) => number): Sample[] {
  const out: Sample[] = [];
  for (let k = 0; k < 10; k++) {
    const at = callUs - k * MIN_US;
    if (!damaged()) out.push(sample(at, valueOf(Math.floor(at / MIN_US))));
  }
  return out;
}

interface Run {
  /** minute -> values taken for it */
  taken: Map<number, number[]>;
  /** minutes served undamaged at least once */
  servedValid: Set<number>;
}

/** Calls at `cadenceUs` plus jitter in [0, jitterUs], through align/select/advance. */
function ingest(o: {
  cadenceUs: number;
  jitterUs: number;
  calls: number;
  damageRate: number;
  seed: number;
  marks?: Watermarks;
  startUs?: number;
  taken?: Map<number, number[]>;
}): Run & { marks: Watermarks; endUs: number } {
  const random = rng(o.seed);
  const marks = o.marks ?? new Watermarks(grid);
  const taken = o.taken ?? new Map<number, number[]>();
  const servedValid = new Set<number>();
  // Faithful mode: every call draws a new value, so each served value is unique to its call.
  let draw = 0;
  let t = o.startUs ?? Date.UTC(2026, 11, 2, 10, 0, 0) * 1000 + 123_456;
  for (let i = 0; i < o.calls; i++) {
    const callUs = t + Math.floor(random() * o.jitterUs);
    const served = answer(
      callUs,
      () => random() < o.damageRate,
      () => ++draw,
    );
    for (const s of served) servedValid.add(Math.floor(s.timeUs / MIN_US));
    const { fresh } = marks.select(grid.align(served));
    marks.advance(fresh);
    for (const s of fresh) {
      const minute = s.timeUs / MIN_US;
      expect(Number.isInteger(minute), "stored at the slot's start").toBe(true);
      taken.set(minute, [...(taken.get(minute) ?? []), s.value]);
    }
    t += o.cadenceUs;
  }
  return { taken, servedValid, marks, endUs: t };
}

function expectOncePerMinute(run: Run) {
  const twice = [...run.taken].filter(([, values]) => values.length > 1);
  expect(twice, "minutes taken more than once").toEqual([]);
  const missing = [...run.servedValid].filter((m) => !run.taken.has(m));
  expect(missing, "minutes served valid but never taken").toEqual([]);
}

describe("HistoryGrid", () => {
  it("puts history at its slot's start and leaves current readings alone", () => {
    const at = Date.UTC(2026, 11, 2, 10, 15, 30, 123) * 1000 + 456;
    const [history, battery] = grid.align([sample(at, 1), sample(at, 2, "battery_level")]);
    expect(history!.timeUs).toBe(Date.UTC(2026, 11, 2, 10, 15) * 1000);
    expect(battery!.timeUs).toBe(at);
    expect(grid.oldestServed(history!.timeUs)).toBe(Date.UTC(2026, 11, 2, 10, 6) * 1000);
  });
});

describe("Watermarks on the history grid", () => {
  const cadences: [string, number, number][] = [
    ["every 5 s", 5e6, 2e6],
    ["every minute, jitter up to 3 s", MIN_US, 3e6],
    ["every minute, jitter up to 59 s", MIN_US, 59e6],
    ["every 5 minutes, jitter up to 30 s", 5 * MIN_US, 30e6],
    ["every 9 minutes, jitter up to 50 s", 9 * MIN_US, 50e6],
  ];
  for (const [name, cadenceUs, jitterUs] of cadences) {
    it(`takes each minute once, none lost: ${name}`, () => {
      for (const seed of [1, 2, 3]) {
        const run = ingest({ cadenceUs, jitterUs, calls: 200, damageRate: 0, seed });
        expectOncePerMinute(run);
        // Every minute from the first answer's oldest to the last answer's newest.
        const minutes = [...run.taken.keys()].sort((a, b) => a - b);
        expect(minutes.length).toBe(minutes[minutes.length - 1]! - minutes[0]! + 1);
      }
    });
  }

  it("takes a minute whose entry came damaged from a later answer, holding nothing back", () => {
    for (const [, cadenceUs, jitterUs] of cadences) {
      for (let seed = 4; seed < 40; seed++) {
        expectOncePerMinute(ingest({ cadenceUs, jitterUs, calls: 40, damageRate: 0.3, seed }));
      }
    }
  });

  it("fills a gap on the next answer and forgets it once the upstream no longer serves it", () => {
    const marks = new Watermarks(grid);
    const m = (k: number) => k * MIN_US;
    // A first answer: minutes 95..104, minute 103 damaged.
    marks.advance([95, 96, 97, 98, 99, 100, 101, 102, 104].map((k) => sample(m(k), k)));
    expect(marks.openSlots("device_1", "temperature")).toEqual([m(103)]);
    const { fresh, duplicates } = marks.select([103, 104, 105].map((k) => sample(m(k), k * 10)));
    expect(fresh.map((s) => s.value)).toEqual([1030, 1050]);
    expect(duplicates).toBe(1);
    marks.advance(fresh);
    expect(marks.openSlots("device_1", "temperature")).toEqual([]);
    marks.advance([sample(m(107), 107)]);
    expect(marks.openSlots("device_1", "temperature")).toEqual([m(106)]);
    // An answer whose newest minute is 116 reaches back to 107: 106 can no longer come; 108..115 still can.
    marks.advance([sample(m(116), 116)]);
    expect(marks.openSlots("device_1", "temperature")).toEqual(
      [108, 109, 110, 111, 112, 113, 114, 115].map(m),
    );
  });

  it("opens every servable minute below a first answer's newest: its oldest entries may come damaged", () => {
    const marks = new Watermarks(grid);
    const m = (k: number) => k * MIN_US;
    marks.advance([102, 103, 104].map((k) => sample(m(k), k)));
    expect(marks.openSlots("device_1", "temperature")).toEqual([95, 96, 97, 98, 99, 100, 101].map(m));
  });

  it("keeps current readings (battery) off the grid: every new reading passes", () => {
    const marks = new Watermarks(grid);
    marks.advance([sample(1_000_001, 50, "battery_level")]);
    const { fresh } = marks.select([
      sample(1_000_002, 51, "battery_level"),
      sample(1_000_001, 50, "battery_level"),
    ]);
    expect(fresh.map((s) => s.timeUs)).toEqual([1_000_002]);
    expect(marks.openSlots("device_1", "battery_level")).toEqual([]);
  });

  it("after losing local state, settles with what the store holds: nothing twice, gaps still filled", () => {
    const first = ingest({ cadenceUs: MIN_US, jitterUs: 5e6, calls: 30, damageRate: 0.3, seed: 9 });
    // The store holds what was taken; local state is gone. A new ingester recovers from the store.
    const stored = new Set([...first.taken.keys()].map((m) => m * MIN_US));
    const fresh = new Watermarks(grid);
    const newest = Math.max(...stored);
    fresh.raise("device_1", "temperature", newest);
    fresh.reconcile("device_1", "temperature", stored);
    expect(fresh.openSlots("device_1", "temperature")).toEqual(
      first.marks.openSlots("device_1", "temperature"),
    );
    const second = ingest({
      cadenceUs: MIN_US,
      jitterUs: 5e6,
      calls: 30,
      damageRate: 0.3,
      seed: 10,
      marks: fresh,
      startUs: first.endUs,
      taken: first.taken,
    });
    expectOncePerMinute({
      taken: second.taken,
      servedValid: new Set([...first.servedValid, ...second.servedValid]),
    });
  });

  it("trusts the local checkpoint for slots still on their way to the store", () => {
    const m = (k: number) => k * MIN_US;
    const marks = new Watermarks(grid);
    marks.restore({ device: "device_1", metric: "temperature", timeUs: m(20), gaps: [m(18)] });
    // The store has not received minutes 19 and 20 yet (spooled), and holds 21 from another run.
    marks.raise("device_1", "temperature", m(21));
    marks.reconcile(
      "device_1",
      "temperature",
      new Set([m(12), m(13), m(14), m(15), m(16), m(17), m(21)]),
      m(20),
    );
    expect(marks.openSlots("device_1", "temperature")).toEqual([m(18)]);
  });

  it("saves and restores gaps through the local checkpoint (and reads version 1 files)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "checkpoint-"));
    try {
      const m = (k: number) => k * MIN_US;
      const marks = new Watermarks(grid);
      marks.advance([95, 96, 97, 98, 99, 100, 101, 102, 104].map((k) => sample(m(k), k)));
      marks.advance([sample(m(104) + 7, 9, "battery_level")]);
      const checkpoint = new Checkpoint(dir);
      await checkpoint.save(marks);
      const back = new Watermarks(grid);
      expect(await checkpoint.loadInto(back)).toBe(2);
      expect(back.entries()).toEqual(marks.entries());
      expect(back.openSlots("device_1", "temperature")).toEqual([m(103)]);

      // A version 1 file (before gaps) still loads: marks only.
      const v1 = { version: 1, watermarks: [{ device: "device_2", metric: "humidity", timeUs: m(50) }] };
      await writeFile(checkpoint.path, JSON.stringify(v1));
      const old = new Watermarks(grid);
      expect(await checkpoint.loadInto(old)).toBe(1);
      expect(old.get("device_2", "humidity")).toBe(m(50));
      expect(old.openSlots("device_2", "humidity")).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
