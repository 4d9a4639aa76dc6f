// The ingester process: reads its configuration, recovers its state (spool,
// local checkpoint, then InfluxDB itself), wires source -> transforms -> sink
// and runs them on the node-cron schedule until SIGTERM/SIGINT.
import { createInfluxClient } from "../shared/influx/client.js";
import { createLogger } from "../shared/log.js";
import { startMetricsServer } from "../shared/metrics/server.js";
import { processEnvGroups, readEnvGroupsOrExit } from "../shared/config/index.js";
import { createIngestMetrics } from "./metrics.js";
import { openNotifierFromConfig } from "./notify/index.js";
import { Pipeline } from "./pipeline.js";
import { Scheduler } from "./scheduler.js";
import { createInfluxSink } from "./sink/influx-sink.js";
import { IotApiClient } from "./source/iot-api-client.js";
import { Checkpoint } from "./state/checkpoint.js";
import { recoverWatermarks, recoverWindows } from "./state/recover.js";
import { AnomalyDetector, SilenceTracker } from "./transforms/anomaly-rules.js";
import { HistoryGrid } from "./transforms/history-grid.js";
import { RollingStats } from "./transforms/rolling-stats.js";
import { loadRules } from "./transforms/rules-config.js";
import { Watermarks } from "./transforms/watermark.js";
import { ShardFilter, resolveShard } from "./shard.js";
import { type RollupPlan, RollupKeeper, ensureRollup, rollupPlan } from "./rollup/ensure.js";

const cfg = readEnvGroupsOrExit(processEnvGroups.ingest);
const log = createLogger("ingest", cfg.log.level);
let shard: ShardFilter;
try {
  shard = new ShardFilter(resolveShard(cfg.shard, process.env));
} catch (err) {
  process.stderr.write(`Invalid configuration:\n  - ${(err as Error).message}\n`);
  process.exit(1);
}
let plan: RollupPlan;
try {
  plan = rollupPlan(cfg.influx, cfg.rollup);
} catch (err) {
  process.stderr.write(`Invalid configuration:\n  - ${(err as Error).message}\n`);
  process.exit(1);
}

let rules;
try {
  rules = loadRules(cfg.ingest.rulesFile);
} catch (err) {
  process.stderr.write(`Invalid configuration:\n  - ${(err as Error).message}\n`);
  process.exit(1);
}

const metrics = createIngestMetrics(cfg.sink.spoolDir);
const sink = await createInfluxSink({
  ...cfg.influx,
  ...cfg.sink,
  registry: metrics.registry,
  logger: log,
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
  log.warn({ err: (err as Error).message }, "InfluxDB unreachable at start: using the local checkpoint only");
}

// Anomaly webhooks (optional): a bad endpoints file stops the process like any bad configuration.
let notifier: Awaited<ReturnType<typeof openNotifierFromConfig>>;
try {
  notifier = await openNotifierFromConfig(cfg.notify, cfg.sink.spoolDir, metrics.registry, log);
} catch (err) {
  process.stderr.write(`Invalid configuration:\n  - ${(err as Error).message}\n`);
  process.exit(1);
}
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
  detector: new AnomalyDetector(rules),
  silence: new SilenceTracker(rules.silent.cycles),
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
    const age = scheduler.lastCycleAt === undefined ? undefined : (Date.now() - scheduler.lastCycleAt) / 1000;
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
const ensureHere = cfg.rollup.ensure === "true" || (cfg.rollup.ensure === "auto" && shard.shard.index === 0);
const rollupKeeper = ensureHere ? new RollupKeeper(() => ensureRollup(influx, plan, log), log) : undefined;
rollupKeeper?.start();
log.info(
  {
    iotApi: cfg.ingest.iotApiUrl,
    influx: cfg.influx.url,
    bucket: cfg.influx.bucket,
    cron: cfg.ingest.cron,
    metricsPort: server.port,
    shard: shard.shard,
  },
  "ingester started",
);
// The first cycle runs now rather than at the first tick.
void scheduler.tick();

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, "stopping: finishing the cycle in flight, then flushing");
  const deadline = setTimeout(() => {
    log.warn("shutdown timed out: exiting; unsent points stay in the spool");
    process.exit(0);
  }, cfg.ingest.shutdownTimeoutMs);
  deadline.unref();
  rollupKeeper?.stop();
  await scheduler.stop();
  await sink.close(Math.max(1000, cfg.ingest.shutdownTimeoutMs / 2));
  await notifier?.close(Math.max(500, cfg.ingest.shutdownTimeoutMs / 4));
  await server.close();
  log.info({ spool: sink.stats() }, "stopped");
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));
