// The ingester's configuration: its own variables (where it pulls from, how
// often, how hard; sharding) and every group its process reads.
import { z } from "zod";
import { validate as validateCron } from "node-cron";
import {
  type ConfigOf,
  envVar,
  httpUrl,
  influxEnv,
  intInRange,
  logEnv,
  nonEmpty,
  oneOf,
  pemFile,
  port,
} from "../shared/config/index.js";
import { isValidTimeZone } from "../shared/time.js";
import { notifyEnv } from "./notify/config.js";
import { edgeEnv } from "./replicate/config.js";
import { rollupEnv } from "./rollup/config.js";
import { sinkEnv } from "./sink/config.js";
import { windowSpec } from "./transforms/window-spec.js";

/** "1m", "30s", "5m", "1h" -> microseconds; the grid of the upstream's history (1 s .. 1 h). */
const historyResolution = z
  .string()
  .trim()
  .transform((text, ctx) => {
    const m = /^(\d+)(s|m|h)$/.exec(text);
    const seconds = m ? Number(m[1]) * { s: 1, m: 60, h: 3600 }[m[2] as "s" | "m" | "h"] : NaN;
    if (!(seconds >= 1 && seconds <= 3600)) {
      ctx.addIssue({ code: "custom", message: 'expected a duration from 1s to 1h, such as "1m" or "30s"' });
      return z.NEVER;
    }
    return seconds * 1e6;
  });

/** The ingester: where it pulls from, how often, how hard. */
export const ingestEnv = {
  iotApiUrl: envVar("IOT_API_URL", httpUrl, {
    default: "http://localhost:5001",
    doc: "Base URL of the IoT API (the simulator, or the public upstream)",
  }),
  iotApiCaFile: envVar("IOT_API_CA_FILE", pemFile, {
    default: "",
    doc: "PEM file of a CA to trust (besides the public ones) for an https:// IOT_API_URL",
  }),
  timeZone: envVar(
    "IOT_API_TIMEZONE",
    nonEmpty.refine(isValidTimeZone, "expected an IANA time zone such as UTC or Europe/Paris"),
    { default: "UTC", doc: "Time zone in which the IoT API's zone-less timestamps are read" },
  ),
  cron: envVar(
    "INGEST_CRON",
    nonEmpty.refine((s) => validateCron(s), "expected a node-cron expression"),
    {
      default: "0 * * * * *",
      doc: "Cycle schedule (node-cron syntax, seconds field allowed); default every 60 s",
    },
  ),
  concurrency: envVar("INGEST_CONCURRENCY", intInRange(1, 1024), {
    default: "16",
    doc: "Upstream requests in flight at once",
  }),
  requestTimeoutMs: envVar("INGEST_REQUEST_TIMEOUT_MS", intInRange(100, 300_000), {
    default: "10000",
    doc: "Timeout of one upstream request attempt, in ms",
  }),
  retries: envVar("INGEST_RETRIES", intInRange(0, 10), {
    default: "3",
    doc: "Retries per upstream request (timeouts, connection errors, 5xx; never 4xx)",
  }),
  retryBaseMs: envVar("INGEST_RETRY_BASE_MS", intInRange(1, 60_000), {
    default: "250",
    doc: "First retry delay in ms; doubles per attempt, with jitter",
  }),
  historyResolutionUs: envVar("INGEST_HISTORY_RESOLUTION", historyResolution, {
    default: "1m",
    doc: "Spacing of the IoT API's history entries: each device's history metric is stored at most once per slot of this size, at the slot's start",
  }),
  statsWindow: envVar("STATS_WINDOW", windowSpec, {
    default: "60",
    doc: "Rolling statistics window per device and metric: a sample count or a duration",
  }),
  rulesFile: envVar("INGEST_RULES_FILE", z.string(), {
    default: "",
    doc: "Optional JSON file overriding the anomaly rules (see ingest/README.md)",
  }),
  watermarkLookback: envVar(
    "INGEST_WATERMARK_LOOKBACK",
    nonEmpty.regex(/^-\d+(s|m|h|d|w)$/, 'expected a negative Flux duration such as "-30d"'),
    { default: "-30d", doc: "How far back start-up looks in InfluxDB for each device's newest point" },
  ),
  metricsPort: envVar("INGEST_METRICS_PORT", port, {
    default: "9464",
    doc: "Port of the ingester's /metrics and /healthz",
  }),
  metricsHost: envVar("INGEST_METRICS_HOST", nonEmpty, {
    default: "0.0.0.0",
    doc: "Address the ingester's /metrics and /healthz listen on",
  }),
  healthMaxAgeS: envVar("INGEST_HEALTH_MAX_AGE_S", intInRange(1, 86_400), {
    default: "180",
    doc: "/healthz fails when the last cycle ended longer ago than this",
  }),
  shutdownTimeoutMs: envVar("INGEST_SHUTDOWN_TIMEOUT_MS", intInRange(100, 600_000), {
    default: "20000",
    doc: "On SIGTERM/SIGINT: time allowed to finish the cycle and flush",
  }),
};

/** Sharded ingestion (ingest/shard.ts): each replica pulls only the devices it owns. */
export const shardEnv = {
  index: envVar("INGEST_SHARD_INDEX", intInRange(0, 9999), {
    default: "0",
    doc: "This replica's shard, 0..INGEST_SHARD_COUNT-1; when unset and INGEST_SHARD_FROM_HOSTNAME=true, the StatefulSet ordinal of HOSTNAME (`ingest-2` -> 2)",
  }),
  count: envVar("INGEST_SHARD_COUNT", intInRange(1, 10000), {
    default: "1",
    doc: "Ingester replicas sharing the fleet (rendezvous hashing of the device id); every replica must get the same value",
  }),
  fromHostname: envVar(
    "INGEST_SHARD_FROM_HOSTNAME",
    oneOf(["true", "false"]).transform((v) => v === "true"),
    {
      default: "false",
      doc: "Take the shard index from the trailing `-<n>` of HOSTNAME when INGEST_SHARD_INDEX is unset (Kubernetes StatefulSet)",
    },
  ),
};

/** Every group the ingester process reads. */
export const ingesterEnvGroups = {
  influx: influxEnv,
  ingest: ingestEnv,
  sink: sinkEnv,
  shard: shardEnv,
  rollup: rollupEnv,
  notify: notifyEnv,
  edge: edgeEnv,
  log: logEnv,
} as const;

export type IngesterConfig = {
  [K in keyof typeof ingesterEnvGroups]: ConfigOf<(typeof ingesterEnvGroups)[K]>;
};
