import { describe, expect, it } from "vitest";
import {
  SLOT_MINUTES,
  episodeAt,
  episodeInSlot,
  episodesBetween,
  realisticValue,
} from "../../simulator/anomalies.js";
import { generatedDevice } from "../../simulator/fleet.js";
import { normalValue } from "../../simulator/signal.js";
import { truthEntries } from "../../simulator/truth.js";

const DAY = Math.floor(Date.UTC(2026, 10, 26) / 60_000);
const devices = Array.from({ length: 30 }, (_, i) => generatedDevice(i + 1, 10));

describe("anomaly decisions", () => {
  it("are deterministic and depend on the seed", () => {
    const d = devices[0]!;
    const a = episodesBetween(1, d, DAY, DAY + 1440, 0.02);
    expect(episodesBetween(1, d, DAY, DAY + 1440, 0.02)).toEqual(a);
    expect(episodesBetween(2, d, DAY, DAY + 1440, 0.02)).not.toEqual(a);
  });

  it("never happen at rate 0 and happen about rate x minutes", () => {
    let count = 0;
    for (const d of devices) {
      expect(episodesBetween(1, d, DAY, DAY + 1440, 0)).toEqual([]);
      count += episodesBetween(1, d, DAY, DAY + 1440 - 1, 0.01).length;
    }
    const expected = 30 * 1440 * 0.01;
    expect(count).toBeGreaterThan(expected * 0.7);
    expect(count).toBeLessThan(expected * 1.3);
  });

  it("fit in their slot, never overlap, and episodeAt agrees with the list", () => {
    for (const d of devices.slice(0, 5)) {
      const eps = episodesBetween(5, d, DAY, DAY + 2000, 0.05);
      for (let i = 0; i < eps.length; i++) {
        const ep = eps[i]!;
        expect(Math.floor(ep.start / SLOT_MINUTES)).toBe(
          Math.floor((ep.start + ep.minutes - 1) / SLOT_MINUTES),
        );
        if (i > 0) expect(ep.start).toBeGreaterThanOrEqual(eps[i - 1]!.start + eps[i - 1]!.minutes);
        for (let k = 0; k < ep.minutes; k++) expect(episodeAt(5, d, ep.start + k, 0.05)).toEqual(ep);
      }
    }
  });

  it("make the value abnormal in the stated way", () => {
    const kinds = new Set<string>();
    for (const d of devices) {
      for (const ep of episodesBetween(3, d, DAY, DAY + 1440, 0.05)) {
        kinds.add(ep.kind);
        const v = realisticValue(3, d, ep.metric, ep.start, 0.05);
        const normal = normalValue(3, d.index, ep.metric, ep.start);
        switch (ep.kind) {
          case "spike":
            if (ep.metric === "temperature") expect(v > 35 || v < 10).toBe(true);
            else expect(v > 95 || v < 20).toBe(true);
            break;
          case "stuck":
            expect(ep.minutes).toBeGreaterThanOrEqual(5);
            for (let k = 1; k < ep.minutes; k++)
              expect(realisticValue(3, d, ep.metric, ep.start + k, 0.05)).toBe(v);
            break;
          case "drop":
            expect(normal - v).toBeGreaterThanOrEqual(ep.metric === "temperature" ? 8 : 25);
            break;
          case "battery_drain": {
            const last = realisticValue(3, d, "battery_level", ep.start + ep.minutes - 1, 0.05);
            expect(last).toBeLessThanOrEqual(Math.max(0, v - 3 * (ep.minutes - 1)));
            break;
          }
        }
      }
    }
    expect(kinds).toEqual(new Set(["spike", "stuck", "drop", "battery_drain"]));
  });

  it("truth entries name the device and the served value at the start minute", () => {
    const entries = truthEntries(3, devices, DAY, DAY + 600, 0.02);
    expect(entries.length).toBeGreaterThan(0);
    for (const e of entries) {
      const d = devices.find((x) => x.id === e.device)!;
      expect(e.client).toBe(d.client);
      const start = Date.parse(`${e.timestamp.slice(0, 19)}Z`) / 60_000;
      expect(realisticValue(3, d, e.metric, start, 0.02)).toBe(e.value);
    }
    const starts = entries.map((e) => e.timestamp);
    expect([...starts].sort()).toEqual(starts);
  });

  it("slots before the epoch hold nothing", () => {
    expect(episodeInSlot(1, devices[0]!, -1, 1)).toBeUndefined();
  });
});
