// The edge tier: the site name written on every point, and where the edge
// InfluxDB replicates its bucket to (InfluxDB's own replication, which the
// ingester ensures at start). Without the EDGE_REPLICATE_* variables nothing
// is replicated; without EDGE_SITE no `site` tag is written.
import { z } from "zod";
import { envVar, intInRange, optionalHttpUrl, pemFile } from "../../shared/config/index.js";
import { SITE_PATTERN } from "../../shared/schema.js";

/** InfluxDB refuses a replication queue under 32 MiB (influxdb.MinReplicationMaxQueueSizeBytes). */
export const MIN_QUEUE_BYTES = 33_554_430;
/** InfluxDB's own default (2 x the minimum). */
export const DEFAULT_QUEUE_BYTES = 2 * MIN_QUEUE_BYTES;

const site = z
  .string()
  .trim()
  .refine(
    (s) => s === "" || SITE_PATTERN.test(s),
    "expected a site name of letters, digits and _ . : - (at most 64, starting with a letter or digit), or empty",
  );

export const edgeEnv = {
  site: envVar("EDGE_SITE", site, {
    default: "",
    doc: "Site name: written as the `site` tag on every reading, stats and anomaly point, so a central InfluxDB fed by several sites tells them apart; empty = no tag (one site)",
  }),
  replicateUrl: envVar("EDGE_REPLICATE_URL", optionalHttpUrl, {
    default: "",
    doc: "Central InfluxDB 2.x to replicate INFLUX_BUCKET to (InfluxDB replication, ensured by the ingester at start); empty = no replication. Needs EDGE_REPLICATE_TOKEN, _ORG and _BUCKET too",
  }),
  replicateToken: envVar("EDGE_REPLICATE_TOKEN", z.string().trim(), {
    default: "",
    doc: "Token of the central InfluxDB with write and read access to EDGE_REPLICATE_BUCKET (influxd writes with it; the ingester reads the bucket to check it)",
    secret: true,
  }),
  replicateOrg: envVar("EDGE_REPLICATE_ORG", z.string().trim(), {
    default: "",
    doc: "Organization name on the central InfluxDB",
  }),
  replicateBucket: envVar("EDGE_REPLICATE_BUCKET", z.string().trim(), {
    default: "",
    doc: "Bucket on the central InfluxDB; it must exist (the central side owns it, its retention and its rollup)",
  }),
  replicateCaFile: envVar("EDGE_REPLICATE_CA_FILE", pemFile, {
    default: "",
    doc: "PEM CA the ingester trusts (besides the public ones) when it checks an https:// central; influxd itself trusts its system store or SSL_CERT_FILE",
  }),
  maxQueueBytes: envVar(
    "EDGE_REPLICATE_MAX_QUEUE_BYTES",
    intInRange(MIN_QUEUE_BYTES, Number.MAX_SAFE_INTEGER),
    {
      default: String(DEFAULT_QUEUE_BYTES),
      doc: "Bound of the edge InfluxDB's durable replication queue on disk, in bytes (InfluxDB's minimum 33554430); past it new writes are stored at the edge but not forwarded",
    },
  ),
  statusIntervalMs: envVar("EDGE_REPLICATE_STATUS_INTERVAL_MS", intInRange(500, 3_600_000), {
    default: "15000",
    doc: "How often the ingester reads the replication's status (queue bytes, last response) for its metrics",
  }),
};
