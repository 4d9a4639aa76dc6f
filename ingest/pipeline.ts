// One ingest cycle: discover the fleet, pull each device (bounded
// concurrency), run each device's samples through the transform chain
// (device-chain.ts), and hand everything to the sink in one durable batch.
// The watermarks move only once that batch is spooled, so a crash never
// skips a sample.
import pLimit from "p-limit";
import type { Logger } from "../shared/log.js";
import { type ChainStages, type DeviceFetch, transformDevice } from "./device-chain.js";
import type { IngestMetrics } from "./metrics.js";
import type { AnomalyNotifier } from "./notify/notifier.js";
import { anomalyLine } from "./points.js";
import type { Sample } from "./sample.js";
import type { ShardFilter } from "./shard.js";
import type { FetchResult } from "./source/iot-api-client.js";
import type { Device, ParsedList, Rejected } from "./source/responses.js";
import type { AnomalyEvent } from "./transforms/anomaly-rules.js";
import type { Watermarks } from "./transforms/watermark.js";

/** What the pipeline needs of a source: the fleet, and each device's history and current reading. */
export interface PipelineSource {
  listDevices(): Promise<ParsedList<Device>>;
  history(device: Device): Promise<FetchResult>;
  current(device: Device): Promise<FetchResult>;
}

/** What the pipeline needs of a sink: durable acceptance (the sink writes what it accepts on its own). */
export interface PipelineSink {
  enqueue(lines: readonly string[]): Promise<void>;
}

/** Where the watermarks are saved once a batch is spooled (state/checkpoint.ts). */
export interface PipelineCheckpoint {
  save(watermarks: Watermarks): Promise<void>;
}

export interface PipelineDeps extends ChainStages {
  source: PipelineSource;
  sink: PipelineSink;
  checkpoint: PipelineCheckpoint;
  metrics: IngestMetrics;
  log: Logger;
  concurrency: number;
  /** Lines per spooled batch within a cycle (default 10,000); memory is bounded by it. */
  batchLines?: number;
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
export const FORGET_AFTER_CYCLES = 10;

type PulledDevice = DeviceFetch & { rejected: Rejected[] };

/** Lines per spooled batch within a cycle (the sink's own write batch by default, INGEST_BATCH_SIZE). */
const BATCH_LINES = 10_000;

/** Part of a cycle's output: what goes to the sink, and what moves the watermarks once it is there. */
interface Batch {
  lines: string[];
  accepted: Sample[];
  anomalies: AnomalyEvent[];
}

const newBatch = (): Batch => ({ lines: [], accepted: [], anomalies: [] });

interface CycleState {
  report: CycleReport;
  nowUs: number;
  /** The batch devices are added to. */
  batch: Batch;
  /** The chain of batch deliveries, one at a time. */
  delivering?: Promise<void>;
  /** The first spool failure; the cycle throws it once every pull has settled. */
  error?: Error;
}

function emptyReport(listed: ParsedList<Device>, fleet: number | undefined): CycleReport {
  return {
    devices: listed.items.length,
    added: 0,
    removed: 0,
    samples: 0,
    duplicates: 0,
    invalid: listed.rejected.length,
    failedDevices: 0,
    anomalies: 0,
    lines: 0,
    ...(fleet !== undefined ? { fleet } : {}),
  };
}

export class Pipeline {
  private fleet = new Map<string, Device>();
  /** Vanished devices -> cycles since they left. */
  private readonly absent = new Map<string, number>();
  private readonly limit;

  constructor(private readonly deps: PipelineDeps) {
    this.limit = pLimit(deps.concurrency);
  }

  /**
   * Runs one cycle; throws when the fleet itself cannot be listed or a batch
   * cannot be spooled. Each device is transformed as soon as it is pulled, and
   * its lines are spooled in batches of `batchLines`: memory stays bounded by
   * one batch and the requests in flight, whatever the fleet's size.
   */
  async runCycle(): Promise<CycleReport> {
    const { fleet, listed } = await this.discover();
    const report = emptyReport(listed, this.deps.shard ? fleet : undefined);
    const devices = this.updateFleet(listed.items, listed.rejected, report);
    this.deps.metrics.devices.set(this.fleet.size);
    const cycle: CycleState = { report, nowUs: (this.deps.now?.() ?? Date.now()) * 1000, batch: newBatch() };
    await Promise.all(
      devices.map(async (device) => {
        const pulled = await this.pull(device);
        this.transform(device, pulled, cycle);
        if (cycle.batch.lines.length >= (this.deps.batchLines ?? BATCH_LINES)) await this.deliver(cycle);
      }),
    );
    await this.deliver(cycle);
    if (cycle.error) throw cycle.error;
    await this.deps.checkpoint.save(this.deps.watermarks);
    this.deps.metrics.duplicatesSkipped.inc(report.duplicates);
    this.deps.metrics.invalidDropped.inc(report.invalid);
    return report;
  }

  /** The device list, cut to this replica's shard; damaged entries are logged. */
  private async discover(): Promise<{ fleet: number; listed: ParsedList<Device> }> {
    const listed = await this.deps.source.listDevices();
    const fleet = listed.items.length;
    const shard = this.deps.shard;
    if (shard) {
      listed.items = listed.items.filter((d) => shard.owns(d.id));
      // An entry too damaged to name its device is reported by shard 0 only, so it is counted once.
      listed.rejected = listed.rejected.filter((r) =>
        r.id === undefined ? shard.shard.index === 0 : shard.owns(r.id),
      );
    }
    for (const r of listed.rejected) this.deps.log.warn({ reason: r.reason }, "dropped invalid device entry");
    return { fleet, listed };
  }

  /** One device through the transform chain, into the cycle's open batch. */
  private transform(device: Device, pulled: PulledDevice, cycle: CycleState): void {
    const { log, metrics } = this.deps;
    const { report, batch } = cycle;
    report.failedDevices += pulled.failed;
    report.invalid += pulled.rejected.length;
    for (const r of pulled.rejected)
      log.warn({ device: device.id, reason: r.reason }, "dropped invalid entry");
    // After a failed spool nothing more is judged: those samples are pulled again next cycle.
    if (cycle.error) return;
    const out = transformDevice(device, pulled, this.deps, cycle.nowUs);
    report.duplicates += out.duplicates;
    for (const sample of out.fresh) {
      metrics.samplesAccepted.inc({ metric: sample.metric });
      batch.accepted.push(sample);
    }
    for (const line of out.lines) batch.lines.push(line);
    for (const event of out.anomalies) batch.anomalies.push(event);
  }

  /**
   * Spools the open batch (one at a time), announces its anomalies, then moves
   * the watermarks of its samples: a sample's watermark never moves before
   * its line is durable. A failure is kept for runCycle to throw.
   */
  private deliver(cycle: CycleState): Promise<void> {
    const batch = cycle.batch;
    cycle.batch = newBatch();
    cycle.delivering = (cycle.delivering ?? Promise.resolve()).then(async () => {
      if (cycle.error || (batch.lines.length === 0 && batch.anomalies.length === 0)) return;
      const { sink, notifier, watermarks, metrics } = this.deps;
      for (const e of batch.anomalies) {
        batch.lines.push(anomalyLine(e, this.deps.site));
        metrics.anomalies.inc({ rule: e.rule });
      }
      try {
        await sink.enqueue(batch.lines);
      } catch (err) {
        cycle.error = err instanceof Error ? err : new Error("the spool refused a batch", { cause: err });
        return;
      }
      // Only spooled events are announced: a receiver never hears of an anomaly that could still be lost.
      if (batch.anomalies.length > 0) await notifier?.notify(batch.anomalies);
      watermarks.advance(batch.accepted);
      cycle.report.samples += batch.accepted.length;
      cycle.report.anomalies += batch.anomalies.length;
      cycle.report.lines += batch.lines.length;
    });
    return cycle.delivering;
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
  private async pull(device: Device): Promise<PulledDevice> {
    const out: PulledDevice = { samples: [], rejected: [], failed: 0 };
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
