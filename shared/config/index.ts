// Every environment variable the product reads, grouped by the part that
// needs it. Later parts add their groups here and to `allEnvGroups`.
import { existsSync } from "node:fs";
import { z } from "zod";
import { envVar, httpUrl, nonEmpty, oneOf, intInRange, port } from "./env.js";
import { validate as validateCron } from "node-cron";
import { isValidTimeZone } from "../time.js";
import { windowSpec } from "./window-spec.js";

export * from "./env.js";

/** An optional PEM file: empty, or a file that exists (read when the connection opens). */
const pemFile = z
  .string()
  .trim()
  .refine((p) => p === "" || existsSync(p), "expected the path of a readable PEM file (or empty)");

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

/** InfluxDB 2.x connection, shared by the ingester, the API and the stack scripts. */
export const influxEnv = {
  url: envVar("INFLUX_URL", httpUrl, {
    default: "http://localhost:8086",
    doc: "InfluxDB 2.x base URL",
  }),
  token: envVar("INFLUX_TOKEN", nonEmpty, {
    doc: "InfluxDB API token (all-access for the ingester, read access is enough for the API)",
    secret: true,
  }),
  org: envVar("INFLUX_ORG", nonEmpty, { default: "iot", doc: "InfluxDB organization name" }),
  bucket: envVar("INFLUX_BUCKET", nonEmpty, {
    default: "iot",
    doc: "InfluxDB bucket for readings, statistics and anomalies",
  }),
  timeoutMs: envVar("INFLUX_TIMEOUT_MS", intInRange(100, 600_000), {
    default: "10000",
    doc: "Timeout of one InfluxDB HTTP request, in milliseconds",
  }),
  caFile: envVar("INFLUX_CA_FILE", pemFile, {
    default: "",
    doc: "PEM file of a CA to trust (besides the public ones) for an https:// INFLUX_URL; `scripts/dev-certs.sh` makes one",
  }),
};

export const logEnv = {
  level: envVar("LOG_LEVEL", oneOf(["fatal", "error", "warn", "info", "debug", "trace", "silent"]), {
    default: "info",
    doc: "Log level of the services' JSON logs",
  }),
};

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

/** The ingester's write path: on-disk spool and batched writes to InfluxDB (ingest/sink). */
export const ingestSinkEnv = {
  spoolDir: envVar("INGEST_SPOOL_DIR", nonEmpty, {
    default: "./.local/spool",
    doc: "Directory of the write-ahead spool: points wait here, durably, until InfluxDB acknowledges them",
  }),
  spoolMaxBytes: envVar("INGEST_SPOOL_MAX_BYTES", intInRange(1024, Number.MAX_SAFE_INTEGER), {
    default: String(256 * 1024 * 1024),
    doc: "Bound of the spool on disk, in bytes; past it the oldest points are dropped (counted and logged)",
  }),
  batchSize: envVar("INGEST_BATCH_SIZE", intInRange(1, 1_000_000), {
    default: "10000", // 10,000 measured ~10 % faster than 5,000 against influxd (npm run bench)
    doc: "Lines of line protocol per write request to InfluxDB",
  }),
  flushIntervalMs: envVar("INGEST_FLUSH_INTERVAL_MS", intInRange(10, 3_600_000), {
    default: "1000",
    doc: "Interval between attempts to drain the spool to InfluxDB, in milliseconds",
  }),
  writeMaxRetries: envVar("INGEST_WRITE_MAX_RETRIES", intInRange(0, 100), {
    default: "3",
    doc: "Retries of one write request (5xx, 429, network errors) within one drain, with exponential backoff",
  }),
  gzipThreshold: envVar("INGEST_GZIP_THRESHOLD", intInRange(0, Number.MAX_SAFE_INTEGER), {
    default: "1000",
    doc: "Write requests with a body larger than this many bytes are gzip-compressed",
  }),
};

/** Anomaly webhooks of the ingester (ingest/notify); off while INGEST_WEBHOOKS_FILE is empty. */
export const ingestNotifyEnv = {
  webhooksFile: envVar("INGEST_WEBHOOKS_FILE", z.string(), {
    default: "",
    doc: "JSON list of webhook endpoints `{url, secret or secret_env, name?, clients?, rules?, severities?, cooldown_s?}` (see ingest/notify/README.md); empty = no webhooks",
  }),
  retryHorizonS: envVar("INGEST_WEBHOOK_RETRY_HORIZON_S", intInRange(1, 30 * 86_400), {
    default: "86400",
    doc: "Undelivered webhook batches older than this many seconds are dropped (counted)",
  }),
  cooldownS: envVar("INGEST_WEBHOOK_COOLDOWN_S", intInRange(0, 7 * 86_400), {
    default: "300",
    doc: "Per endpoint, device and rule: events within this many seconds (event time) of the last one sent are suppressed; 0 = off",
  }),
  batchSize: envVar("INGEST_WEBHOOK_BATCH_SIZE", intInRange(1, 1000), {
    default: "20",
    doc: "Most anomaly events per webhook request",
  }),
  timeoutMs: envVar("INGEST_WEBHOOK_TIMEOUT_MS", intInRange(100, 120_000), {
    default: "5000",
    doc: "Timeout of one webhook request, in ms",
  }),
  retryBaseMs: envVar("INGEST_WEBHOOK_RETRY_BASE_MS", intInRange(10, 3_600_000), {
    default: "1000",
    doc: "First webhook retry delay in ms; doubles per failed attempt, with jitter",
  }),
  retryMaxMs: envVar("INGEST_WEBHOOK_RETRY_MAX_MS", intInRange(10, 86_400_000), {
    default: "300000",
    doc: "Longest delay between webhook retries, in ms",
  }),
};

const rate = z.coerce
  .number({ error: "expected a number in 0..1" })
  .min(0, "expected a number in 0..1")
  .max(1, "expected a number in 0..1");
const millis = intInRange(0, 600_000);
const onOff = oneOf(["true", "false"]).transform((v) => v === "true");

/** The IoT API simulator (simulator/main.ts); each variable has a --flag of the same name, which wins. */
export const simulatorEnv = {
  port: envVar("SIM_PORT", port, {
    default: "5001",
    doc: "Simulator HTTP port (`--port`; 0 = any free port)",
  }),
  host: envVar("SIM_HOST", nonEmpty, {
    default: "127.0.0.1",
    doc: "Simulator listen address (`--host`; 0.0.0.0 in a container)",
  }),
  devices: envVar("SIM_DEVICES", intInRange(0, 1_000_000), {
    default: "0",
    doc: "Generated fleet size (`--devices`); 0 = the upstream's six objects",
  }),
  clients: envVar("SIM_CLIENTS", intInRange(0, 1_000_000), {
    default: "0",
    doc: "Clients of the generated fleet (`--clients`, at most the devices); 0 = half the devices, rounded up",
  }),
  seed: envVar(
    "SIM_SEED",
    z
      .string()
      .trim()
      .regex(/^(random|\d{1,10})$/, "expected random or an integer in 0..4294967295")
      .transform((s) => (s === "random" ? undefined : Number(s)))
      .refine((n) => n === undefined || n <= 0xffffffff, "expected random or an integer in 0..4294967295"),
    { default: "random", doc: "Seed of every random choice (`--seed`); the same seed replays the same run" },
  ),
  signal: envVar("SIM_SIGNAL", oneOf(["faithful", "realistic"]), {
    default: "faithful",
    doc: "`faithful`: the upstream's fresh uniform values; `realistic`: smooth seeded signals with anomalies (`--signal`)",
  }),
  anomalyRate: envVar("SIM_ANOMALY_RATE", rate, {
    default: "0.005",
    doc: "Realistic mode: chance that an anomaly starts at a device-minute, saturating at 0.05 (`--anomaly-rate`)",
  }),
  timeScale: envVar(
    "SIM_TIME_SCALE",
    z.coerce
      .number({ error: "expected a number in (0, 1000000]" })
      .positive("expected a number in (0, 1000000]")
      .max(1_000_000, "expected a number in (0, 1000000]"),
    { default: "1", doc: "Simulated time runs this many times faster than the wall clock (`--time-scale`)" },
  ),
  historyQuery: envVar("SIM_HISTORY_QUERY", onOff, {
    default: "false",
    doc: "Serve `?limit=` and `?since=` on history, which the upstream lacks (`--history-query`)",
  }),
  latencyMs: envVar("SIM_LATENCY_MS", millis, {
    default: "0",
    doc: "Fault: added delay of every data request, ms (`--latency-ms`)",
  }),
  jitterMs: envVar("SIM_JITTER_MS", millis, {
    default: "0",
    doc: "Fault: extra random delay in [0, this], ms (`--jitter-ms`)",
  }),
  errorRate: envVar("SIM_ERROR_RATE", rate, {
    default: "0",
    doc: "Fault: share of data requests answered 500/503, half as HTML pages (`--error-rate`)",
  }),
  hangRate: envVar("SIM_HANG_RATE", rate, {
    default: "0",
    doc: "Fault: share of data requests that hang, then close the connection (`--hang-rate`)",
  }),
  hangMs: envVar("SIM_HANG_MS", millis, {
    default: "30000",
    doc: "Fault: how long a hang lasts, ms (`--hang-ms`)",
  }),
  malformedRate: envVar("SIM_MALFORMED_RATE", rate, {
    default: "0",
    doc: "Fault: share of 200 answers with invalid JSON (`--malformed-rate`)",
  }),
  truncatedRate: envVar("SIM_TRUNCATED_RATE", rate, {
    default: "0",
    doc: "Fault: share of 200 answers with JSON cut mid-way (`--truncated-rate`)",
  }),
  missingFieldRate: envVar("SIM_MISSING_FIELD_RATE", rate, {
    default: "0",
    doc: "Fault: per object, chance that one field is missing (`--missing-field-rate`)",
  }),
  outOfOrderRate: envVar("SIM_OUT_OF_ORDER_RATE", rate, {
    default: "0",
    doc: "Fault: per history entry, chance to be swapped with the next (`--out-of-order-rate`)",
  }),
  duplicateRate: envVar("SIM_DUPLICATE_RATE", rate, {
    default: "0",
    doc: "Fault: per history entry, chance to be sent twice (`--duplicate-rate`)",
  }),
  coldStartMs: envVar("SIM_COLD_START_MS", millis, {
    default: "0",
    doc: "Fault: delay of the first data request after `SIM_IDLE_MS` of silence, ms (`--cold-start-ms`)",
  }),
  idleMs: envVar("SIM_IDLE_MS", millis, {
    default: "0",
    doc: "Fault: silence after which the simulator 'sleeps', ms (`--idle-ms`)",
  }),
};

/** A positive Flux-style duration such as "30d" or "1h30m" (units s, m, h, d, w). */
const positiveDuration = nonEmpty.regex(/^(\d+(s|m|h|d|w))+$/, 'expected a duration such as "30d" or "12h"');

/** The REST API (api/main.ts); it reads InfluxDB with the influx group. */
export const apiEnv = {
  port: envVar("API_PORT", port, { default: "8080", doc: "Port of the REST API" }),
  host: envVar("API_HOST", nonEmpty, {
    default: "0.0.0.0",
    doc: "Address the REST API listens on",
  }),
  keysFile: envVar("API_KEYS_FILE", z.string(), {
    default: "./.local/api-keys.json",
    doc: "JSON file of API key hashes per client and admin (`npm run keys -- create <client>`); may be absent",
  }),
  keys: envVar("API_KEYS", z.string(), {
    default: "",
    doc: "DEVELOPMENT ONLY: extra keys as `client:<sha256 hex>` or `admin:<name>:<sha256 hex>`, comma-separated",
    secret: true,
  }),
  rateLimitPerMin: envVar("API_RATE_LIMIT_PER_MIN", intInRange(1, 1_000_000), {
    default: "600",
    doc: "Requests per minute per API key (token bucket, bursts up to the same number); past it 429 with Retry-After",
  }),
  queryTimeoutMs: envVar("API_QUERY_TIMEOUT_MS", intInRange(100, 600_000), {
    default: "5000",
    doc: "Bound of one InfluxDB query; past it (or InfluxDB down) the API answers 503",
  }),
  maxPoints: envVar("API_MAX_POINTS", intInRange(10, 100_000), {
    default: "1000",
    doc: "Most points one /series answer may hold; a start/stop/every asking for more gets 400",
  }),
  maxRangeDays: envVar("API_MAX_RANGE_DAYS", intInRange(1, 3660), {
    default: "31",
    doc: "Longest start..stop range a query may ask for, in days",
  }),
  deviceLookback: envVar("API_DEVICE_LOOKBACK", positiveDuration, {
    default: "30d",
    doc: "How far back a device's readings make it known (device list, ownership, last reading)",
  }),
  tlsCert: envVar("API_TLS_CERT", z.string(), {
    default: "",
    doc: "PEM certificate file; with `API_TLS_KEY` the API serves HTTPS",
  }),
  tlsKey: envVar("API_TLS_KEY", z.string(), {
    default: "",
    doc: "PEM private key file for `API_TLS_CERT`",
  }),
  shutdownTimeoutMs: envVar("API_SHUTDOWN_TIMEOUT_MS", intInRange(100, 600_000), {
    default: "10000",
    doc: "On SIGTERM/SIGINT: time allowed for requests in flight before exiting",
  }),
};

/** Sharded ingestion (ingest/shard.ts): each replica pulls only the devices it owns. */
export const ingestShardEnv = {
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

/** Optional retention: empty = leave an existing bucket alone (never shrink one silently). */
const optionalRetention = z
  .string()
  .trim()
  .regex(/^$|^(\d+(s|m|h|d|w))+$|^inf$/, 'expected a duration of at least 1h such as "30d", or "inf"');

/** Downsampled history: the hourly rollup bucket and task the ingester ensures, and where the API reads it. */
export const rollupEnv = {
  bucket: envVar("INFLUX_ROLLUP_BUCKET", z.string().trim(), {
    default: "",
    doc: "Bucket of the hourly rollup (`reading_hourly`); empty = `<INFLUX_BUCKET>_rollup`",
  }),
  rollupRetention: envVar("INFLUX_ROLLUP_RETENTION", optionalRetention, {
    default: "",
    doc: "Retention of the rollup bucket (`inf` = forever); empty = forever when the ingester creates it, an existing bucket left as it is",
  }),
  rawRetention: envVar("INFLUX_RAW_RETENTION", optionalRetention, {
    default: "",
    doc: "Retention of INFLUX_BUCKET, applied (and logged) by the ingester when set; empty = never changed",
  }),
  lookback: envVar("INFLUX_ROLLUP_LOOKBACK", positiveDuration, {
    default: "6h",
    doc: "Each hourly task run re-aggregates this many complete hours back, so late points (spool catch-up) are rolled up too",
  }),
  ensure: envVar("INGEST_ROLLUP", oneOf(["auto", "true", "false"]), {
    default: "auto",
    doc: "Ingester ensures the rollup bucket and task at start: `auto` = shard 0 only, `true` = every replica, `false` = never",
  }),
  apiAfter: envVar("API_ROLLUP_AFTER", positiveDuration, {
    default: "7d",
    doc: "The API's series and trend read the hourly rollup when start..stop is longer than this (aggregates read it for every complete hour of any range)",
  }),
};

export const allEnvGroups = {
  influx: influxEnv,
  log: logEnv,
  simulator: simulatorEnv,
  ingest: ingestEnv,
  ingestSink: ingestSinkEnv,
  ingestNotify: ingestNotifyEnv,
  api: apiEnv,
  ingestShard: ingestShardEnv,
  rollup: rollupEnv,
} as const;

/** What each process reads: its entry point and the tests that check deployments use these. */
export const processEnvGroups = {
  simulator: { simulator: simulatorEnv, log: logEnv },
  ingest: {
    influx: influxEnv,
    ingest: ingestEnv,
    sink: ingestSinkEnv,
    shard: ingestShardEnv,
    rollup: rollupEnv,
    notify: ingestNotifyEnv,
    log: logEnv,
  },
  api: { influx: influxEnv, api: apiEnv, log: logEnv, rollup: rollupEnv },
} as const;
