import { describe, expect, it } from "vitest";
import { pino } from "pino";
import { createIngestMetrics } from "../../ingest/metrics.js";
import type { CycleReport } from "../../ingest/pipeline.js";
import { type CycleRunner, Scheduler } from "../../ingest/scheduler.js";

const report: CycleReport = {
  devices: 1,
  added: 0,
  removed: 0,
  samples: 1,
  duplicates: 0,
  invalid: 0,
  failedDevices: 0,
  anomalies: 0,
  lines: 1,
};

describe("Scheduler", () => {
  it("skips and counts a tick that finds a cycle still running, and lets stop() finish it", async () => {
    let release!: () => void;
    let runs = 0;
    const pipeline = {
      runCycle: () => {
        runs++;
        return new Promise<CycleReport>((resolve) => (release = () => resolve(report)));
      },
    } satisfies CycleRunner;
    const metrics = createIngestMetrics(".");
    const scheduler = new Scheduler(pipeline, metrics, pino({ level: "silent" }), "0 0 1 1 *");
    const first = scheduler.tick();
    await scheduler.tick();
    await scheduler.tick();
    expect(runs).toBe(1);
    const stopped = scheduler.stop();
    release();
    await Promise.all([first, stopped]);
    expect(scheduler.lastReport).toEqual(report);
    const cycles = await metrics.cycles.get();
    expect(Object.fromEntries(cycles.values.map((v) => [v.labels.outcome, v.value]))).toEqual({
      skipped: 2,
      ok: 1,
    });
    await scheduler.tick();
    expect(runs).toBe(1); // stopped: no more cycles
  });

  it("counts a cycle whose fleet cannot be listed as failed and keeps going", async () => {
    let runs = 0;
    const pipeline = {
      runCycle: () => {
        runs++;
        return runs === 1 ? Promise.reject(new Error("upstream down")) : Promise.resolve(report);
      },
    } satisfies CycleRunner;
    const metrics = createIngestMetrics(".");
    const scheduler = new Scheduler(pipeline, metrics, pino({ level: "silent" }), "0 0 1 1 *");
    await scheduler.tick();
    await scheduler.tick();
    const cycles = await metrics.cycles.get();
    expect(Object.fromEntries(cycles.values.map((v) => [v.labels.outcome, v.value]))).toEqual({
      failed: 1,
      ok: 1,
    });
    await scheduler.stop();
  });
});
