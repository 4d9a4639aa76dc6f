// startIngester(): the ingester wired and running, from configuration values.
// It recovers its state (spool, local checkpoint, then InfluxDB itself), wires
// source -> transforms -> sink and runs them on the node-cron schedule. The
// process (main.ts), tests and benchmarks start it the same way.
import { createInfluxClient } from "../shared/influx/client.js";
import type { Logger } from "../shared/log.js";
import { startMetricsServer } from "../shared/metrics/server.js";
import type { IngesterConfig } from "./config.js";
import { createIngestMetrics } from "./metrics.js";
import { openNotifier } from "./notify/index.js";
import { Pipeline } from "./pipeline.js";
import { EnsureKeeper } from "./ensure-keeper.js";
import { ensureReplication } from "./replicate/ensure.js";
import { ReplicationMonitor } from "./replicate/status.js";
import { RollupKeeper, ensureRollup } from "./rollup/ensure.js";
import { Scheduler } from "./scheduler.js";
import { resolveSetup } from "./setup.js";
import { ShardFilter } from "./shard.js";
import { createInfluxSink } from "./sink/influx-sink.js";
import { IotApiClient } from "./source/iot-api-client.js";
import { Checkpoint } from "./state/checkpoint.js";
import { recoverWatermarks, recoverWindows } from "./state/recover.js";
import { AnomalyDetector, SilenceTracker } from "./transforms/anomaly-rules.js";
import { HistoryGrid } from "./transforms/history-grid.js";
import { RollingStats } from "./transforms/rolling-stats.js";
import { Watermarks } from "./transforms/watermark.js";

export interface RunningIngester {
  /** Port of /metrics and /healthz. */
  readonly metricsPort: number;
  /** Runs a cycle now (unless one is in flight); resolves when it is done. */
  tick(): Promise<void>;
  /** Finishes the cycle in flight, flushes the spool (bounded), stops every timer and server. */
  close(timeoutMs?: number): Promise<void>;
}

/**
 * Starts the ingester. A configuration problem (shard, rollup plan, rules
 * file, webhooks file) throws one ConfigError naming all of them, before
 * anything is opened.
 */
export async function startIngester(
  cfg: IngesterConfig,
  log: Logger,
  env: NodeJS.ProcessEnv = process.env,
): Promise<RunningIngester> {
  const setup = resolveSetup(cfg, env);
  const shard = new ShardFilter(setup.shard);
  const metrics = createIngestMetrics(cfg.sink.spoolDir);
  const sink = await createInfluxSink({
    ...cfg.influx,
    ...cfg.sink,
    registry: metrics.registry,
    logger: log,
    // With a replication to a central InfluxDB, nothing is written to the
    // edge before the replication exists: InfluxDB forwards only writes made
    // after it is created. Points wait in the spool meanwhile.
    held: setup.replication !== undefined,
  });

  // Watermarks: the local checkpoint first, then InfluxDB (the source of truth)
  // raises them further. Either may be missing; neither lowers the other.
  const grid = new HistoryGrid(cfg.ingest.historyResolutionUs);
  const watermarks = new Watermarks(grid);
  const checkpoint = new Checkpoint(cfg.sink.spoolDir);
  try {
    const n = await checkpoint.loadInto(watermarks);
    log.info({ watermarks: n, path: checkpoint.path }, "local checkpoint loaded");
  } catch (err) {
    log.error({ err: (err as Error).message, path: checkpoint.path }, "local checkpoint unreadable: ignored");
  }
  const stats = new RollingStats(cfg.ingest.statsWindow);
  const influx = createInfluxClient(cfg.influx);
  const recoverOpts = {
    client: influx,
    org: cfg.influx.org,
    bucket: cfg.influx.bucket,
    lookback: cfg.ingest.watermarkLookback,
  };
  try {
    const { series, newestUs } = await recoverWatermarks(recoverOpts, watermarks, grid);
    const samples = await recoverWindows(recoverOpts, stats, newestUs);
    log.info({ series, samples }, "watermarks and rolling windows recovered from InfluxDB");
  } catch (err) {
    log.warn(
      { err: (err as Error).message },
      "InfluxDB unreachable at start: using the local checkpoint only",
    );
  }

  const notifier = await openNotifier(
    setup.endpoints,
    cfg.notify,
    cfg.sink.spoolDir,
    metrics.registry,
    log,
    cfg.edge.site,
  );
  if (notifier) log.info({ endpoints: Object.keys(notifier.stats()) }, "anomaly webhooks enabled");

  const source = new IotApiClient({
    baseUrl: cfg.ingest.iotApiUrl,
    timeoutMs: cfg.ingest.requestTimeoutMs,
    retries: cfg.ingest.retries,
    retryBaseDelayMs: cfg.ingest.retryBaseMs,
    timeZone: cfg.ingest.timeZone,
    caFile: cfg.ingest.iotApiCaFile,
    onAttempt: (endpoint, status, seconds) => metrics.upstreamDuration.observe({ endpoint, status }, seconds),
    onRetry: (endpoint) => metrics.upstreamRetries.inc({ endpoint }),
  });
  const pipeline = new Pipeline({
    source,
    grid,
    watermarks,
    stats,
    detector: new AnomalyDetector(setup.rules),
    silence: new SilenceTracker(setup.rules.silent.cycles),
    ...(cfg.edge.site ? { site: cfg.edge.site } : {}),
    sink,
    checkpoint,
    metrics,
    log,
    concurrency: cfg.ingest.concurrency,
    shard,
    ...(notifier ? { notifier } : {}),
  });
  const scheduler = new Scheduler(pipeline, metrics, log, cfg.ingest.cron);

  const server = await startMetricsServer(metrics.registry, {
    port: cfg.ingest.metricsPort,
    host: cfg.ingest.metricsHost,
    health: () => {
      const age =
        scheduler.lastCycleAt === undefined ? undefined : (Date.now() - scheduler.lastCycleAt) / 1000;
      const recent = age !== undefined && age <= cfg.ingest.healthMaxAgeS;
      return {
        ok: scheduler.running && recent,
        scheduler: scheduler.running,
        lastCycleAgeSeconds: age,
        spool: sink.stats(),
      };
    },
  });

  sink.start();
  notifier?.start();
  scheduler.start();
  // Downsampled history: by default shard 0 alone ensures the rollup bucket and
  // task, so replicas starting together do not race to create them.
  const ensureHere =
    cfg.rollup.ensure === "true" || (cfg.rollup.ensure === "auto" && setup.shard.index === 0);
  const rollupKeeper = ensureHere
    ? new RollupKeeper(() => ensureRollup(influx, setup.rollup, log), log)
    : undefined;
  rollupKeeper?.start();
  // The edge tier: every replica ensures the replication (idempotent; copies
  // made by concurrent starts are reduced to one) and holds its writes until
  // it exists, then reads its status for the metrics.
  const replication = setup.replication;
  const monitor = replication
    ? new ReplicationMonitor(
        influx,
        replication.replicationName,
        metrics.replication,
        log,
        cfg.edge.statusIntervalMs,
        cfg.edge.site,
      )
    : undefined;
  const replicationKeeper = replication
    ? new EnsureKeeper("replication", () => ensureReplication(influx, replication, log, cfg.influx), log, {
        onEnsured: (state) => {
          sink.release();
          monitor?.start(state.replicationID);
        },
      })
    : undefined;
  replicationKeeper?.start();
  log.info(
    {
      iotApi: cfg.ingest.iotApiUrl,
      influx: cfg.influx.url,
      bucket: cfg.influx.bucket,
      cron: cfg.ingest.cron,
      metricsPort: server.port,
      shard: setup.shard,
      site: cfg.edge.site || undefined,
      replicateTo: replication
        ? `${replication.central.url} ${replication.central.org}/${replication.central.bucket}`
        : undefined,
    },
    "ingester started",
  );
  // The first cycle runs now rather than at the first tick.
  void scheduler.tick();

  let closing: Promise<void> | undefined;
  return {
    metricsPort: server.port,
    tick: () => scheduler.tick(),
    close: (timeoutMs = cfg.ingest.shutdownTimeoutMs) =>
      (closing ??= (async () => {
        rollupKeeper?.stop();
        replicationKeeper?.stop();
        monitor?.stop();
        await scheduler.stop();
        await sink.close(Math.max(1000, timeoutMs / 2));
        await notifier?.close(Math.max(500, timeoutMs / 4));
        await source.close();
        await server.close();
        log.info({ spool: sink.stats() }, "stopped");
      })()),
  };
}
