// The provisioned dashboards, statically: datasource uids resolve, Flux names
// only the measurements, tags and fields of shared/schema.ts, PromQL names
// only metrics the code registers. (Running every query against real servers
// is test/integration/stack-flux.test.ts and stack-promql.test.ts.)
import { describe, expect, it } from "vitest";
import { createApiMetrics } from "../../api/metrics.js";
import { createIngestMetrics } from "../../ingest/metrics.js";
import { createSinkMetrics } from "../../ingest/sink/metrics.js";
import {
  ANOMALY_FIELD,
  ANOMALY_RULES,
  DEVICE_TYPES,
  MEASUREMENT,
  METRICS,
  ROLLUP_FIELD,
  SEVERITIES,
  STATS_FIELD,
  TAG,
} from "../../shared/schema.js";
import {
  datasourceRefsOf,
  loadDashboards,
  loadDatasources,
  panelsOf,
  queriesOf,
  variablesOf,
} from "../support/stack-dashboards.js";

const dashboards = loadDashboards();
const datasources = loadDatasources();
const allQueries = dashboards.flatMap((d) => queriesOf(d, datasources));
const fluxQueries = allQueries.filter((q) => q.language === "flux");
const promQueries = allQueries.filter((q) => q.language === "promql");

const FIELDS: Record<string, readonly string[]> = {
  [MEASUREMENT.reading]: METRICS,
  [MEASUREMENT.stats]: Object.values(STATS_FIELD),
  [MEASUREMENT.anomaly]: Object.values(ANOMALY_FIELD),
  [MEASUREMENT.readingHourly]: Object.values(ROLLUP_FIELD),
  [MEASUREMENT.readingHourlyFleet]: Object.values(ROLLUP_FIELD),
};
/** Measurements of the rollup bucket (read as `v.defaultBucket + "_rollup"`). */
const ROLLUP_MEASUREMENTS = new Set<string>([MEASUREMENT.readingHourly, MEASUREMENT.readingHourlyFleet]);
const TAGS = new Set<string>(Object.values(TAG));
const ALL_FIELDS = new Set(Object.values(FIELDS).flat());
const FLUX_COLUMNS = new Set(["_time", "_value", "_field", "_measurement", "_start", "_stop"]);
/** Values a tag may be compared with in a query. */
const TAG_VALUES: Record<string, Set<string>> = {
  [TAG.metric]: new Set([...METRICS, "all"]),
  [TAG.rule]: new Set(ANOMALY_RULES),
  [TAG.severity]: new Set(SEVERITIES),
  [TAG.type]: new Set(DEVICE_TYPES),
};

/** Names the query creates itself (set(key:) and the _field values it sets, rename targets, pivot output), allowed as columns afterwards. */
function createdColumns(text: string): Set<string> {
  const out = new Set<string>();
  for (const m of text.matchAll(/set\(key: "(\w+)"/g)) out.add(m[1]!);
  for (const m of text.matchAll(/set\(key: "_field", value: "(\w+)"\)/g)) out.add(m[1]!);
  for (const m of text.matchAll(/rename\(columns: \{([^}]*)\}/g))
    for (const t of m[1]!.matchAll(/:\s*"(\w+)"/g)) out.add(t[1]!);
  return out;
}

describe("provisioned dashboards", () => {
  it("are the IoT fleet and Edge performance dashboards, with unique uids", () => {
    expect(dashboards.map((d) => d.title).sort()).toEqual(["Edge performance", "IoT fleet"]);
    expect(new Set(dashboards.map((d) => d.uid)).size).toBe(dashboards.length);
    expect(fluxQueries.length).toBeGreaterThan(10);
    expect(promQueries.length).toBeGreaterThan(10);
  });

  it("datasources: InfluxDB with Flux (org, bucket, token from env) and Prometheus, with fixed uids", () => {
    const influx = datasources.find((d) => d.type === "influxdb")!;
    expect(influx.uid).toBe("influxdb-iot");
    expect(influx.jsonData).toMatchObject({
      version: "Flux",
      organization: "${INFLUX_ORG}",
      defaultBucket: "${INFLUX_BUCKET}",
    });
    expect(influx.secureJsonData).toEqual({ token: "${INFLUX_TOKEN}" });
    expect(datasources.find((d) => d.type === "prometheus")?.uid).toBe("prometheus-edge");
  });

  it("every panel, target, variable and annotation datasource uid exists in the provisioned datasources", () => {
    const uids = new Map(datasources.map((d) => [d.uid, d.type]));
    let checked = 0;
    for (const d of dashboards)
      for (const { where, ref } of datasourceRefsOf(d)) {
        expect(ref?.uid, `${d.file}: ${where}`).toBeDefined();
        expect(uids.has(ref!.uid!), `${d.file}: ${where} uid ${ref?.uid}`).toBe(true);
        expect(ref!.type, `${d.file}: ${where}`).toBe(uids.get(ref!.uid!));
        checked++;
      }
    expect(checked).toBeGreaterThan(30);
  });

  it("IoT fleet: site, client, type and device variables come from Flux; anomalies are annotations and a table", () => {
    const fleet = dashboards.find((d) => d.uid === "iot-fleet")!;
    expect(variablesOf(fleet).map((v) => v.name)).toEqual(["site", "client", "type", "device"]);
    for (const v of variablesOf(fleet)) expect(v.datasource?.type).toBe("influxdb");
    const fleetQueries = queriesOf(fleet);
    expect(fleetQueries.some((q) => q.where.startsWith("annotation") && q.text.includes('"anomaly"'))).toBe(
      true,
    );
    const titles = panelsOf(fleet).map((p) => `${(p as { type?: string }).type}: ${p.title}`);
    expect(titles).toEqual(
      expect.arrayContaining([
        "stat: Mean per metric",
        "stat: Min per metric",
        "stat: Max per metric",
        "table: Anomalies",
        "table: Per-client aggregates",
        "timeseries: Battery level per device",
      ]),
    );
    // Each metric's series panel carries the rolling mean from `stats`.
    for (const metric of ["temperature", "humidity", "activity_level"])
      expect(
        fleetQueries.some((q) => q.text.includes('"stats"') && q.text.includes(`r.metric == "${metric}"`)),
        metric,
      ).toBe(true);
  });

  it("every Flux query names only measurements, fields, tags and tag values of shared/schema.ts", () => {
    for (const q of fluxQueries) {
      const at = `${q.dashboard}: ${q.where}`;
      const measurements = [...q.text.matchAll(/r\._measurement == "(\w+)"/g)].map((m) => m[1]!);
      expect(measurements.length, `${at}: names a measurement`).toBeGreaterThan(0);
      for (const m of measurements) expect(Object.values(MEASUREMENT), at).toContain(m);
      const fields = new Set(measurements.flatMap((m) => FIELDS[m] ?? []));
      for (const m of q.text.matchAll(/r\._field (?:==|!=) "(\w+)"/g))
        expect([...fields], at).toContain(m[1]);
      const created = createdColumns(q.text);
      // A column of a record is a tag, or (after a pivot) a field of a named measurement or a _field value the query set.
      for (const m of q.text.matchAll(/\br\.(\w+)/g))
        if (!m[1]!.startsWith("_"))
          expect(
            TAGS.has(m[1]!) || fields.has(m[1]!) || created.has(m[1]!),
            `${at}: r.${m[1]} is not a tag or field`,
          ).toBe(true);
      for (const m of q.text.matchAll(/\br\.(\w+) == "(\w+)"/g))
        if (TAG_VALUES[m[1]!]) expect([...TAG_VALUES[m[1]!]!], at).toContain(m[2]);
      for (const m of q.text.matchAll(/\btag: "(\w+)"/g))
        expect(TAGS.has(m[1]!), `${at}: tag ${m[1]}`).toBe(true);
      for (const list of q.text.matchAll(/(?:columns|rowKey|columnKey): \[([^\]]*)\]/g))
        for (const c of list[1]!.matchAll(/"(\w+)"/g)) {
          const name = c[1]!;
          const known = FLUX_COLUMNS.has(name) || TAGS.has(name) || ALL_FIELDS.has(name) || created.has(name);
          expect(known, `${at}: column ${name}`).toBe(true);
        }
      expect(/bucket: v\.defaultBucket/.test(q.text), `${at}: uses v.defaultBucket`).toBe(true);
      // The rollup bucket is the raw bucket's name + "_rollup" (INFLUX_ROLLUP_BUCKET's default).
      if (measurements.some((m) => ROLLUP_MEASUREMENTS.has(m)))
        expect(q.text, `${at}: rollup bucket`).toContain('v.defaultBucket + "_rollup"');
    }
  });

  it("every PromQL expression names only metrics the ingester and the API register", async () => {
    const ingest = createIngestMetrics(process.cwd());
    createSinkMetrics(ingest.registry, () => ({ segments: 0, lines: 0, bytes: 0 }));
    const api = createApiMetrics();
    const registered = new Set(
      [...(await ingest.registry.getMetricsAsJSON()), ...(await api.registry.getMetricsAsJSON())].flatMap(
        (m) =>
          String(m.type) === "histogram"
            ? [`${m.name}_bucket`, `${m.name}_sum`, `${m.name}_count`]
            : [m.name],
      ),
    );
    const PROMQL_WORDS = new Set([
      "sum",
      "by",
      "rate",
      "increase",
      "histogram_quantile",
      "max",
      "time",
      "or",
      "vector",
      "le",
    ]);
    for (const q of promQueries) {
      const names = [
        ...q.text.replace(/\{[^}]*\}|\[[^\]]*\]|"[^"]*"/g, "").matchAll(/\b([a-z_][a-z0-9_]*)\b/g),
      ]
        .map((m) => m[1]!)
        .filter((n) => !PROMQL_WORDS.has(n) && n.includes("_"));
      const byLabels = [...q.text.matchAll(/by \(([^)]*)\)/g)].flatMap((m) =>
        m[1]!.split(",").map((s) => s.trim()),
      );
      const metrics = names.filter((n) => !byLabels.includes(n));
      expect(metrics.length, `${q.dashboard}: ${q.where}`).toBeGreaterThan(0);
      for (const n of metrics)
        expect(registered.has(n), `${q.dashboard}: ${q.where}: ${n} is not registered`).toBe(true);
    }
  });
});
