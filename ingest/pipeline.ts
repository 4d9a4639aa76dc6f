// One ingest cycle: discover the fleet, pull each device (bounded
// concurrency), put history on its grid, dedupe by watermark, judge
// anomalies, roll statistics, encode, and hand everything to the sink in one
// durable batch. The watermarks move only once that batch is spooled, so a
// crash never skips a sample.
import pLimit from "p-limit";
import type { Logger } from "../shared/log.js";
import type { IngestMetrics } from "./metrics.js";
import type { AnomalyNotifier } from "./notify/notifier.js";
import { anomalyLine, readingLine, statsLine } from "./points.js";
import type { FetchResult, IotApiClient } from "./source/iot-api-client.js";
import type { Device, Rejected } from "./source/responses.js";
import type { Sample } from "./source/sample.js";
import type { HistoryGrid } from "./transforms/history-grid.js";
import type { ShardFilter } from "./shard.js";
import type { Checkpoint } from "./state/checkpoint.js";
import type { SilenceTracker } from "./transforms/anomaly-rules.js";
import { type AnomalyDetector, type AnomalyEvent } from "./transforms/anomaly-rules.js";
import type { RollingStats } from "./transforms/rolling-stats.js";
import type { Watermarks } from "./transforms/watermark.js";

/** What the pipeline needs of a sink: durable acceptance, and a nudge to write. */
export interface PipelineSink {
  enqueue(lines: readonly string[]): Promise<void>;
  drain(): Promise<unknown>;
}

export interface PipelineDeps {
  source: IotApiClient;
  /** The history's slots: one identity per device-minute. */
  grid: HistoryGrid;
  watermarks: Watermarks;
  stats: RollingStats;
  detector: AnomalyDetector;
  silence: SilenceTracker;
  sink: PipelineSink;
  checkpoint: Checkpoint;
  metrics: IngestMetrics;
  log: Logger;
  concurrency: number;
  now?: () => number;
  /** Sharded ingestion: only the devices this replica owns are pulled (absent = all). */
  shard?: ShardFilter;
  /** Anomaly webhooks; gets each cycle's events once they are spooled. */
  notifier?: AnomalyNotifier;
}

export interface CycleReport {
  devices: number;
  added: number;
  removed: number;
  samples: number;
  duplicates: number;
  invalid: number;
  failedDevices: number;
  anomalies: number;
  lines: number;
  /** Sharded ingestion: devices in the whole fleet (`devices` counts this replica's own). */
  fleet?: number;
}

/** Cycles a vanished device keeps its rolling state, in case it returns. */
const FORGET_AFTER_CYCLES = 10;

export class Pipeline {
  private fleet = new Map<string, Device>();
  /** Vanished devices -> cycles since they left. */
  private readonly absent = new Map<string, number>();
  private readonly limit;

  constructor(private readonly deps: PipelineDeps) {
    this.limit = pLimit(deps.concurrency);
  }

  /** Runs one cycle; throws only when the fleet itself cannot be listed. */
  async runCycle(): Promise<CycleReport> {
    const { source, grid, watermarks, stats, detector, silence, sink, checkpoint, metrics, log } = this.deps;
    const listed = await source.listDevices();
    const fleetSize = listed.items.length;
    const shard = this.deps.shard;
    if (shard) {
      listed.items = listed.items.filter((d) => shard.owns(d.id));
      // An entry too damaged to name its device is reported by shard 0 only, so it is counted once.
      listed.rejected = listed.rejected.filter((r) =>
        r.id === undefined ? shard.shard.index === 0 : shard.owns(r.id),
      );
    }
    for (const r of listed.rejected) log.warn({ reason: r.reason }, "dropped invalid device entry");
    const report: CycleReport = {
      devices: listed.items.length,
      added: 0,
      removed: 0,
      samples: 0,
      duplicates: 0,
      invalid: listed.rejected.length,
      failedDevices: 0,
      anomalies: 0,
      lines: 0,
      ...(shard ? { fleet: fleetSize } : {}),
    };
    const devices = this.updateFleet(listed.items, listed.rejected, report);
    metrics.devices.set(this.fleet.size);

    const fetched = await Promise.all(devices.map((device) => this.pull(device)));

    const lines: string[] = [];
    const accepted: Sample[] = [];
    const anomalies: AnomalyEvent[] = [];
    const nowUs = (this.deps.now?.() ?? Date.now()) * 1000;
    for (const [i, device] of devices.entries()) {
      const result = fetched[i]!;
      report.failedDevices += result.failed;
      report.invalid += result.rejected.length;
      for (const r of result.rejected)
        log.warn({ device: device.id, reason: r.reason }, "dropped invalid entry");

      const { fresh, duplicates } = watermarks.select(grid.align(result.samples));
      report.duplicates += duplicates;
      const touched = new Set<string>();
      for (const sample of fresh) {
        const window = stats.window(sample.device, sample.metric);
        anomalies.push(...detector.evaluate(sample, window));
        window.push(sample.timeUs, sample.value);
        touched.add(sample.metric);
        lines.push(readingLine(sample));
        metrics.samplesAccepted.inc({ metric: sample.metric });
      }
      for (const metric of touched) {
        const summary = stats.window(device.id, metric).summary();
        if (summary) lines.push(statsLine(device, metric, summary));
      }
      // A device whose fetch failed is not "silent": the upstream is.
      if (result.failed === 0) {
        const event = silence.observe(device, fresh.length > 0, nowUs);
        if (event) anomalies.push(event);
      }
      accepted.push(...fresh);
    }
    for (const e of anomalies) {
      lines.push(anomalyLine(e));
      metrics.anomalies.inc({ rule: e.rule });
    }

    if (lines.length > 0) await sink.enqueue(lines);
    // Only spooled events are announced: a receiver never hears of an anomaly that could still be lost.
    if (anomalies.length > 0) await this.deps.notifier?.notify(anomalies);
    watermarks.advance(accepted);
    await checkpoint.save(watermarks);
    void sink.drain();

    report.samples = accepted.length;
    report.anomalies = anomalies.length;
    report.lines = lines.length;
    metrics.duplicatesSkipped.inc(report.duplicates);
    metrics.invalidDropped.inc(report.invalid);
    return report;
  }

  /**
   * Applies this cycle's device list and returns the devices to pull. A known
   * device whose list entry came back damaged (but still names it) stays, as
   * it was; a device missing from the list is not pulled, and its rolling
   * state is dropped only after FORGET_AFTER_CYCLES absences, so a glitch in
   * one answer does not reset its statistics.
   */
  private updateFleet(listed: Device[], rejected: Rejected[], report: CycleReport): Device[] {
    const next = new Map(listed.map((d) => [d.id, d]));
    for (const r of rejected) {
      const known = r.id === undefined ? undefined : this.fleet.get(r.id);
      if (known && !next.has(known.id)) next.set(known.id, known);
    }
    for (const id of next.keys()) {
      if (!this.fleet.has(id) && !this.absent.has(id)) report.added++;
      this.absent.delete(id);
    }
    for (const id of this.fleet.keys()) {
      if (!next.has(id)) {
        report.removed++;
        this.absent.set(id, 0);
        this.deps.log.info({ device: id }, "device left the fleet");
      }
    }
    for (const [id, cycles] of this.absent) {
      if (cycles + 1 < FORGET_AFTER_CYCLES) this.absent.set(id, cycles + 1);
      else {
        // Its watermarks stay: if it comes back, its history is not re-ingested.
        this.absent.delete(id);
        this.deps.stats.forget(id);
        this.deps.detector.forget(id);
        this.deps.silence.forget(id);
      }
    }
    this.fleet = next;
    return [...next.values()];
  }

  /** History and current reading of one device; a failure is counted, never thrown. */
  private async pull(device: Device): Promise<FetchResult & { failed: number }> {
    const out: FetchResult & { failed: number } = { samples: [], rejected: [], failed: 0 };
    const calls: [string, () => Promise<FetchResult>][] = [
      ["history", () => this.deps.source.history(device)],
      ["current", () => this.deps.source.current(device)],
    ];
    await Promise.all(
      calls.map(([endpoint, call]) =>
        this.limit(async () => {
          try {
            const r = await call();
            out.samples.push(...r.samples);
            out.rejected.push(...r.rejected);
          } catch (err) {
            out.failed++;
            this.deps.metrics.deviceFailures.inc({ endpoint });
            this.deps.log.warn(
              { device: device.id, endpoint, err: (err as Error).message },
              "device fetch failed",
            );
          }
        }),
      ),
    );
    return out;
  }
}
