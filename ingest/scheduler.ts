// Wires the pipeline to node-cron: one cycle per tick, never two at once (a
// tick that finds a cycle running is skipped and counted), and a graceful
// stop that lets the cycle in flight finish.
import cron, { type ScheduledTask } from "node-cron";
import type { Logger } from "../shared/log.js";
import type { IngestMetrics } from "./metrics.js";
import type { CycleReport } from "./pipeline.js";

/** What the scheduler runs on each tick (the Pipeline; a fake in tests). */
export interface CycleRunner {
  runCycle(): Promise<CycleReport>;
}

export class Scheduler {
  private task: ScheduledTask | undefined;
  private inFlight: Promise<void> | undefined;
  private stopping = false;
  /** End time (ms) of the last cycle that completed, failed or not. */
  lastCycleAt: number | undefined;
  lastReport: CycleReport | undefined;

  constructor(
    private readonly pipeline: CycleRunner,
    private readonly metrics: IngestMetrics,
    private readonly log: Logger,
    private readonly expression: string,
  ) {}

  start(): void {
    this.task = cron.schedule(this.expression, () => this.tick(), { name: "ingest", noOverlap: false });
  }

  get running(): boolean {
    return this.task !== undefined && !this.stopping;
  }

  /** Runs a cycle unless one is in flight; resolves when this tick's work is done. */
  tick(): Promise<void> {
    if (this.stopping) return Promise.resolve();
    if (this.inFlight) {
      this.metrics.cycles.inc({ outcome: "skipped" });
      this.log.warn("previous cycle still running: tick skipped");
      return Promise.resolve();
    }
    this.inFlight = this.cycle().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async cycle(): Promise<void> {
    const end = this.metrics.cycleDuration.startTimer();
    const started = performance.now();
    this.metrics.loopLag.start();
    try {
      const report = await this.pipeline.runCycle();
      this.lastReport = report;
      this.metrics.cycles.inc({ outcome: report.failedDevices > 0 ? "partial" : "ok" });
      this.log.info({ ...report, ms: Math.round(performance.now() - started) }, "cycle done");
    } catch (err) {
      this.metrics.cycles.inc({ outcome: "failed" });
      this.log.error(
        { err: (err as Error).message, ms: Math.round(performance.now() - started) },
        "cycle failed",
      );
    } finally {
      this.metrics.loopLag.stop();
      end();
      this.lastCycleAt = Date.now();
      this.metrics.lastCycle.set(this.lastCycleAt / 1000);
    }
  }

  /** Stops scheduling and waits for the cycle in flight. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.task?.stop();
    await this.task?.destroy();
    await this.inFlight;
  }
}
