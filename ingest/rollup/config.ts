// The hourly rollup the ingester ensures: retentions, how far each run looks
// back, and which replicas ensure it. Its bucket's name is shared with the API.
import { z } from "zod";
import { envVar, oneOf, positiveDuration, rollupBucketVar } from "../../shared/config/index.js";

/** Optional retention: empty = leave an existing bucket alone (never shrink one silently). */
const optionalRetention = z
  .string()
  .trim()
  .regex(/^$|^(\d+(s|m|h|d|w))+$|^inf$/, 'expected a duration of at least 1h such as "30d", or "inf"');

/** Downsampled history: the hourly rollup bucket and task the ingester ensures, and where the API reads it. */
/** Downsampled history: the hourly rollup bucket and task the ingester ensures. */
export const rollupEnv = {
  bucket: rollupBucketVar,
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
};
