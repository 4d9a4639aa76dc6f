// The InfluxDB connection every process shares, and the name of the hourly
// rollup bucket, which the ingester fills and the API reads.
import { z } from "zod";
import { envVar, httpUrl, intInRange, nonEmpty, pemFile } from "./env.js";

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

/** The hourly rollup's bucket: one variable, read by the ingester (which fills it) and the API. */
export const rollupBucketVar = envVar("INFLUX_ROLLUP_BUCKET", z.string().trim(), {
  default: "",
  doc: "Bucket of the hourly rollup (`reading_hourly`); empty = `<INFLUX_BUCKET>_rollup`",
});

/** The rollup bucket's name: the configured one, else `<raw bucket>_rollup`. */
export function rollupBucketName(rawBucket: string, configured: string): string {
  return configured || `${rawBucket}_rollup`;
}
