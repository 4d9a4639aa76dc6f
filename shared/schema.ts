// The InfluxDB schema: every measurement, tag and field the product writes or
// reads is named here and nowhere else. The ingester writes with it, the API
// queries with it, the dashboards are checked against it by tests.

export const MEASUREMENT = {
  /** One point per device sample; one field per metric. */
  reading: "reading",
  /** Rolling statistics per device and metric over the configured window. */
  stats: "stats",
  /** One point per detected anomaly event. */
  anomaly: "anomaly",
  /**
   * Hourly rollup of `reading`, written by the InfluxDB task the ingester
   * ensures (ingest/rollup/), into the rollup bucket: tags client, device,
   * type, metric; fields ROLLUP_FIELD; time = the hour's start.
   */
  readingHourly: "reading_hourly",
  /**
   * The same hourly summary per client, device type and metric (no device
   * tag), written by the same task: what fleet-wide views (Grafana with All
   * devices) read over long ranges instead of every device's hours.
   */
  readingHourlyFleet: "reading_hourly_fleet",
} as const;

export const TAG = {
  /**
   * The edge site that wrote the point (EDGE_SITE), on every reading, stats
   * and anomaly point when set; absent on a single site's data. A central
   * InfluxDB fed by several sites tells them apart by it.
   */
  site: "site",
  client: "client",
  device: "device",
  type: "type",
  metric: "metric",
  rule: "rule",
  severity: "severity",
} as const;

/** A site name (the `site` tag's values): what EDGE_SITE and the API's `site` parameter accept. */
export const SITE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;

/** Device types served by the IoT API. */
export const DEVICE_TYPES = ["temperature_sensor", "humidity_sensor", "activity_tracker"] as const;
export type DeviceType = (typeof DEVICE_TYPES)[number];

/** Fields of `reading` (metrics), named as the upstream's current reading names them. */
export const METRIC = {
  temperature: "temperature",
  humidity: "humidity",
  activityLevel: "activity_level",
  batteryLevel: "battery_level",
} as const;
export type Metric = (typeof METRIC)[keyof typeof METRIC];
export const METRICS: readonly Metric[] = Object.values(METRIC);

/**
 * Which metric a device's history carries: the upstream's history entries name
 * no metric, the device type decides. This main metric is written from history
 * only; the current reading contributes only `battery_level`, so no sample is
 * counted twice.
 */
export const HISTORY_METRIC: Record<DeviceType, Metric> = {
  temperature_sensor: METRIC.temperature,
  humidity_sensor: METRIC.humidity,
  activity_tracker: METRIC.activityLevel,
};

/** Metrics taken from the current reading (`/iot_objects/{id}` or `/iot_data/{id}`). */
export const CURRENT_READING_METRICS: readonly Metric[] = [METRIC.batteryLevel];

/** Fields of `stats`. */
export const STATS_FIELD = {
  mean: "mean",
  min: "min",
  max: "max",
  stddev: "stddev",
  count: "count",
  p95: "p95",
} as const;

/** Fields of `anomaly`. */
export const ANOMALY_FIELD = {
  value: "value",
  /**
   * What the value was judged against, for rules that judge a device against
   * its own history: the rolling mean (zscore), the recent median
   * (level_shift), the previous reading (battery_drain). Absent otherwise.
   */
  baseline: "baseline",
  /** The limit: the bound a value crossed (thresholds, battery_low), or the limit `score` passed. */
  threshold: "threshold",
  /**
   * Rule-specific strength: distance past the bound for thresholds, |z| for
   * zscore, the change for level_shift, points an hour for battery_drain, run
   * length for stuck.
   */
  score: "score",
  /** One-line human text (InfluxDB's CSV turns a newline into CRLF, so never multi-line). */
  message: "message",
} as const;

export const ANOMALY_RULES = [
  "threshold_high",
  "threshold_low",
  "battery_low",
  "battery_drain",
  "zscore",
  "level_shift",
  "stuck",
  "silent",
  "back",
] as const;
export type AnomalyRule = (typeof ANOMALY_RULES)[number];

export const SEVERITIES = ["info", "warning", "critical"] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Fields of `reading_hourly`: the hour's raw samples of one device and metric summarised. */
export const ROLLUP_FIELD = {
  mean: "mean",
  min: "min",
  max: "max",
  /** Integer: samples in the hour (weights the mean when hours are combined). */
  count: "count",
  /** Sum of the hour's values: sum/count over any set of hours is their exact mean, pushed down. */
  sum: "sum",
  /** Sum of squared values: with sum and count, the exact sample stddev over any set of hours. */
  sumSquares: "sum_sq",
} as const;
