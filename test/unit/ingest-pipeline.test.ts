// Pipeline.runCycle with fake source, sink and checkpoint, and the real
// transforms: the order that keeps data safe (watermarks move only once the
// batch is spooled), fleet changes, damaged answers, failed devices, shards.
import { describe, expect, it } from "vitest";
import { pino } from "pino";
import { createIngestMetrics } from "../../ingest/metrics.js";
import {
  FORGET_AFTER_CYCLES,
  Pipeline,
  type PipelineCheckpoint,
  type PipelineSink,
  type PipelineSource,
} from "../../ingest/pipeline.js";
import type { Sample } from "../../ingest/sample.js";
import { ShardFilter } from "../../ingest/shard.js";
import type { FetchResult } from "../../ingest/source/iot-api-client.js";
import type { Device, ParsedList } from "../../ingest/source/responses.js";
import { AnomalyDetector, DEFAULT_RULES, SilenceTracker } from "../../ingest/transforms/anomaly-rules.js";
import { HistoryGrid } from "../../ingest/transforms/history-grid.js";
import { RollingStats } from "../../ingest/transforms/rolling-stats.js";
import { Watermarks } from "../../ingest/transforms/watermark.js";

const MIN_US = 60_000_000;
const T0_US = Date.UTC(2026, 11, 1, 12) * 1000;
const fleet: Device[] = [
  { id: "device_1", client: "client_1", type: "temperature_sensor" },
  { id: "device_2", client: "client_2", type: "temperature_sensor" },
];

/** The upstream at `endMin` minutes after T0: ten minutes of history per device, no current reading. */
class FakeSource implements PipelineSource {
  endMin = 0;
  list: ParsedList<Device> = { items: [...fleet], rejected: [] };
  failing = new Set<string>();
  pulled: string[] = [];
  listDevices = () => Promise.resolve(structuredClone(this.list));
  history = (device: Device): Promise<FetchResult> => {
    this.pulled.push(device.id);
    if (this.failing.has(device.id)) return Promise.reject(new Error("HTTP 503"));
    const samples: Sample[] = Array.from({ length: 10 }, (_, i) => ({
      device: device.id,
      client: device.client,
      type: device.type,
      metric: "temperature",
      timeUs: T0_US + (this.endMin - i) * MIN_US,
      value: 20 + ((this.endMin - i) % 3) / 10,
    }));
    return Promise.resolve({ samples, rejected: [] });
  };
  current = (): Promise<FetchResult> => Promise.resolve({ samples: [], rejected: [] });
}

class FakeSink implements PipelineSink {
  lines: string[] = [];
  batches = 0;
  refuse = false;
  /** Refuses the batch with this number (1-based), once. */
  refuseBatch = 0;
  enqueue(lines: readonly string[]) {
    this.batches++;
    if (this.refuse || this.batches === this.refuseBatch) return Promise.reject(new Error("disk full"));
    this.lines.push(...lines);
    return Promise.resolve();
  }
}

class FakeCheckpoint implements PipelineCheckpoint {
  saves = 0;
  save() {
    this.saves++;
    return Promise.resolve();
  }
}

function setup(opts: { shard?: ShardFilter; batchLines?: number } = {}) {
  const grid = new HistoryGrid(MIN_US);
  const source = new FakeSource();
  const sink = new FakeSink();
  const checkpoint = new FakeCheckpoint();
  const stats = new RollingStats({ kind: "count", size: 60 });
  const watermarks = new Watermarks(grid);
  const pipeline = new Pipeline({
    source,
    grid,
    watermarks,
    stats,
    detector: new AnomalyDetector(DEFAULT_RULES),
    silence: new SilenceTracker(DEFAULT_RULES.silent.cycles),
    sink,
    checkpoint,
    metrics: createIngestMetrics("."),
    log: pino({ level: "silent" }),
    concurrency: 4,
    now: () => T0_US / 1000 + source.endMin * 60_000,
    ...(opts.shard ? { shard: opts.shard } : {}),
    ...(opts.batchLines ? { batchLines: opts.batchLines } : {}),
  });
  const readings = () => sink.lines.filter((l) => l.startsWith("reading,"));
  return { source, sink, checkpoint, stats, watermarks, pipeline, readings };
}

describe("Pipeline.runCycle", () => {
  it("moves the watermarks only once the batch is spooled: a refused batch is sent again whole", async () => {
    const { source, sink, checkpoint, pipeline, readings } = setup();
    sink.refuse = true;
    await expect(pipeline.runCycle()).rejects.toThrow("disk full");
    expect(checkpoint.saves).toBe(0);

    sink.refuse = false;
    const report = await pipeline.runCycle();
    expect([report.samples, report.duplicates, checkpoint.saves]).toEqual([20, 0, 1]);
    expect(readings()).toHaveLength(20);

    source.endMin = 1; // one new minute per device; nine seen already
    const next = await pipeline.runCycle();
    expect([next.samples, next.duplicates]).toEqual([2, 18]);
    expect(readings()).toHaveLength(22);
  });

  it("spools a large cycle in batches; a batch refused mid-cycle loses nothing and duplicates nothing", async () => {
    const { source, sink, pipeline, readings } = setup({ batchLines: 25 });
    source.list.items = Array.from({ length: 12 }, (_, i) => ({
      id: `device_${i}`,
      client: "client_1",
      type: "temperature_sensor" as const,
    }));
    sink.refuseBatch = 2;
    await expect(pipeline.runCycle()).rejects.toThrow("disk full");
    const first = readings().length;
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThan(120);
    const report = await pipeline.runCycle();
    expect(report.samples + first).toBe(120);
    expect(sink.batches).toBeGreaterThan(4);
    const keys = readings().map((l) => l.replace(/ temperature=\S+/, ""));
    expect(new Set(keys).size).toBe(120);
    expect(keys).toHaveLength(120);
  });

  it("forgets a vanished device's rolling state after FORGET_AFTER_CYCLES absences, not before", async () => {
    const { source, stats, pipeline } = setup();
    await pipeline.runCycle();
    source.list.items = [fleet[0]!];
    const counts: number[] = [];
    for (let cycle = 1; cycle <= FORGET_AFTER_CYCLES; cycle++) {
      source.endMin = cycle;
      const report = await pipeline.runCycle();
      if (cycle === 1) expect(report.removed).toBe(1);
      counts.push(stats.window("device_2", "temperature").summary()?.count ?? 0);
    }
    expect(counts.slice(0, -1)).toEqual(Array(FORGET_AFTER_CYCLES - 1).fill(10));
    expect(counts.at(-1)).toBe(0);
  });

  it("keeps a known device whose list entry came back damaged, and does not count it as new when it returns", async () => {
    const { source, pipeline } = setup();
    await pipeline.runCycle();
    source.list = { items: [fleet[0]!], rejected: [{ id: "device_2", reason: "type missing" }] };
    source.pulled = [];
    const damaged = await pipeline.runCycle();
    expect([damaged.removed, damaged.invalid, source.pulled.sort()]).toEqual([
      0,
      1,
      ["device_1", "device_2"],
    ]);
    source.list = { items: [fleet[0]!], rejected: [] };
    await pipeline.runCycle();
    source.list = { items: [...fleet], rejected: [] };
    const back = await pipeline.runCycle();
    expect([back.added, back.removed]).toEqual([0, 0]);
  });

  it("counts a failed device, never judges it silent, and stores its samples once it answers", async () => {
    const { source, sink, pipeline, readings } = setup();
    source.failing.add("device_2");
    for (let cycle = 0; cycle < DEFAULT_RULES.silent.cycles + 1; cycle++) {
      const report = await pipeline.runCycle(); // the clock does not move: device_1 brings nothing new after the first
      expect(report.failedDevices).toBe(1);
    }
    const silent = sink.lines.filter((l) => l.startsWith("anomaly,") && l.includes("rule=silent"));
    expect(silent.map((l) => /device=(\w+)/.exec(l)?.[1])).toEqual(["device_1"]);
    source.failing.clear();
    await pipeline.runCycle();
    expect(readings().filter((l) => l.includes("device=device_2"))).toHaveLength(10);
  });

  it("pulls only the devices its shard owns and reports the whole fleet", async () => {
    const shard = new ShardFilter({ index: 0, count: 2 });
    const { source, pipeline } = setup({ shard });
    source.list.items = Array.from({ length: 40 }, (_, i) => ({
      id: `device_${i}`,
      client: "client_1",
      type: "temperature_sensor" as const,
    }));
    const report = await pipeline.runCycle();
    const owned = source.list.items.filter((d) => shard.owns(d.id)).map((d) => d.id);
    expect(report.fleet).toBe(40);
    expect(report.devices).toBe(owned.length);
    expect(new Set(source.pulled)).toEqual(new Set(owned));
  });
});
