// Every environment variable the product reads, grouped by the part that
// needs it. Later parts add their groups here and to `allEnvGroups`.
import { envVar, httpUrl, nonEmpty, oneOf, intInRange } from "./env.js";

export * from "./env.js";

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
};

export const logEnv = {
  level: envVar("LOG_LEVEL", oneOf(["fatal", "error", "warn", "info", "debug", "trace", "silent"]), {
    default: "info",
    doc: "Log level of the services' JSON logs",
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
    default: "5000",
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

export const allEnvGroups = { influx: influxEnv, log: logEnv, ingestSink: ingestSinkEnv } as const;
