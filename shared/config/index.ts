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

export const allEnvGroups = { influx: influxEnv, log: logEnv } as const;
