// The API's configuration: its own variables, where it reads the rollup, and
// every group its process reads.
import { z } from "zod";
import {
  type ConfigOf,
  envVar,
  influxEnv,
  intInRange,
  logEnv,
  nonEmpty,
  port,
  positiveDuration,
  rollupBucketVar,
} from "../shared/config/index.js";

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

/** Long ranges: the API reads the hourly rollup the ingester fills. */
export const apiRollupEnv = {
  bucket: rollupBucketVar,
  after: envVar("API_ROLLUP_AFTER", positiveDuration, {
    default: "7d",
    doc: "The API's series and trend read the hourly rollup when start..stop is longer than this (aggregates read it for every complete hour of any range)",
  }),
};

/** Every group the API process reads. */
export const apiEnvGroups = { influx: influxEnv, api: apiEnv, log: logEnv, rollup: apiRollupEnv } as const;

export type ApiProcessConfig = { [K in keyof typeof apiEnvGroups]: ConfigOf<(typeof apiEnvGroups)[K]> };
