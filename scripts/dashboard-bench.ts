// Runs every panel query of a provisioned dashboard once, as a Grafana
// refresh would (variables substituted, All or chosen devices), against the
// InfluxDB of INFLUX_URL/TOKEN/ORG/BUCKET, and prints rows and time per query.
//
//   npx tsx scripts/dashboard-bench.ts [range=7d] [device=all|id,id] [dashboard uid=iot-fleet]
import { createInfluxClient } from "../shared/influx/client.js";
import { loadDashboards, queriesOf, substituteVariables } from "../test/support/stack-dashboards.js";

const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };
const [range = "7d", device = "all", uid = "iot-fleet"] = process.argv.slice(2);
const m = /^(\d+)([mhd])$/.exec(range);
if (!m) throw new Error(`range ${range}: expected e.g. 1h, 7d`);
const rangeMs = Number(m[1]) * UNIT_MS[m[2]!]!;
const maxDataPoints = 500;

/** Grafana's nice interval (roughly): the range over maxDataPoints, rounded up to a common step, at least the series panels' 1m. */
function windowPeriod(ms: number): string {
  const steps = [60, 120, 300, 600, 900, 1200, 1800, 3600, 7200, 10800, 21600, 43200, 86400];
  const s = ms / maxDataPoints / 1000;
  return `${steps.find((x) => x >= s) ?? 86400}s`;
}

const env = (name: string) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const influx = { url: env("INFLUX_URL"), token: env("INFLUX_TOKEN"), org: env("INFLUX_ORG") };
const bucket = env("INFLUX_BUCKET");
const api = createInfluxClient(influx).getQueryApi(influx.org);
const dashboard = loadDashboards().find((d) => d.uid === uid);
if (!dashboard) throw new Error(`no dashboard ${uid}`);
const stop = new Date();
const start = new Date(stop.getTime() - rangeMs);
const selection = {
  site: "all" as const,
  client: "all" as const,
  type: "all" as const,
  device: device === "all" ? ("all" as const) : device.split(","),
};
let totalRows = 0;
let totalMs = 0;
for (const q of queriesOf(dashboard).filter(
  (x) => x.language === "flux" && !x.where.startsWith("variable"),
)) {
  const text = substituteVariables(q.text, selection)
    .replaceAll("v.timeRangeStart", start.toISOString())
    .replaceAll("v.timeRangeStop", stop.toISOString())
    .replaceAll("v.windowPeriod", windowPeriod(rangeMs))
    .replaceAll("v.defaultBucket", JSON.stringify(bucket));
  const t0 = performance.now();
  const rows = await api.collectRows(text);
  const ms = performance.now() - t0;
  const series = new Set(rows.map((r) => JSON.stringify([(r as { table?: unknown }).table]))).size;
  totalRows += rows.length;
  totalMs += ms;
  console.log(
    `${ms.toFixed(0).padStart(6)} ms ${String(rows.length).padStart(7)} rows ${String(series).padStart(5)} tables  ${q.where}`,
  );
}
console.log(
  `${totalMs.toFixed(0).padStart(6)} ms ${String(totalRows).padStart(7)} rows  total (${range}, device ${device}, windowPeriod ${windowPeriod(rangeMs)})`,
);
