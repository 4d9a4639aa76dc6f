// Every Flux query of every provisioned dashboard (panels, variables,
// annotations) runs against a real InfluxDB holding what the real ingester
// wrote from the simulator (realistic signal, injected anomalies), with
// Grafana's v.* and template variables substituted, and returns rows.
import { flux } from "@influxdata/influxdb-client";
import { describe, expect, it } from "vitest";
import { MEASUREMENT } from "../../shared/schema.js";
import { describeWithInflux, useTestBucket } from "../support/influx.js";
import { useIngestedData } from "../support/ingested-data.js";
import {
  type DashboardQuery,
  loadDashboards,
  queriesOf,
  substituteVariables,
  templateVariables,
} from "../support/stack-dashboards.js";

const bucket = useTestBucket(import.meta.url);
const data = useIngestedData(bucket, { seed: 11, anomalyRate: 0.03, cycles: 12 });

const queries = loadDashboards().flatMap((d) => queriesOf(d));
const fluxQueries = queries.filter((q) => q.language === "flux");
const panelQueries = fluxQueries.filter((q) => !q.where.startsWith("variable"));
const variableQueries = fluxQueries.filter((q) => q.where.startsWith("variable"));

type Selection = Record<string, string[] | "all">;

/** Grafana's built-in Flux variables over the ingested time range. */
function grafanaText(q: DashboardQuery, selection: Selection): string {
  const start = new Date(data.current.firstCycleMs - 15 * 60_000).toISOString();
  const stop = new Date(Date.now() + 60_000).toISOString();
  return substituteVariables(q.text, selection)
    .replaceAll("v.timeRangeStart", start)
    .replaceAll("v.timeRangeStop", stop)
    .replaceAll("v.windowPeriod", "1m")
    .replaceAll("v.defaultBucket", JSON.stringify(bucket.current.name))
    .replaceAll("v.organization", JSON.stringify(bucket.current.server.org));
}

async function rows(q: DashboardQuery, selection: Selection): Promise<Record<string, unknown>[]> {
  const text = grafanaText(q, selection);
  expect(text, `${q.where}: a Grafana variable is left`).not.toMatch(/\bv\.\w+|\$\{?\w/);
  try {
    return await bucket.current.client.getQueryApi(bucket.current.server.org).collectRows(text);
  } catch (err) {
    throw new Error(`${q.dashboard}: ${q.where} failed: ${(err as Error).message}\n${text}`, { cause: err });
  }
}

const ALL: Selection = { site: "all", client: "all", type: "all", device: "all" };

describeWithInflux("dashboard Flux queries against real ingested data", () => {
  it("finds the queries: panels, the four variables and the anomaly annotation", () => {
    expect(variableQueries.map((q) => q.where)).toEqual([
      "variable site",
      "variable client",
      "variable type",
      "variable device",
    ]);
    expect(panelQueries.some((q) => q.where.startsWith("annotation"))).toBe(true);
    for (const q of fluxQueries)
      for (const v of templateVariables(q.text))
        expect(["site", "client", "type", "device"], q.where).toContain(v);
  });

  it("the ingestion run produced anomalies of several rules", async () => {
    const found = await bucket.current.client.getQueryApi(bucket.current.server.org).collectRows<{
      rule: string;
    }>(flux`
      from(bucket: ${bucket.current.name})
        |> range(start: 0)
        |> filter(fn: (r) => r._measurement == ${MEASUREMENT.anomaly} and r._field == "value")
        |> group(columns: ["rule"])
        |> count()`);
    expect(found.length).toBeGreaterThanOrEqual(2);
  });

  it("every variable query returns values (site none: the data has no site tag); chained ones for a chosen client too", async () => {
    const [siteQuery, clientQuery, typeQuery, deviceQuery] = variableQueries;
    // One site without a site tag (the ingester without EDGE_SITE): no site to list, All shows everything.
    expect(await rows(siteQuery!, ALL)).toEqual([]);
    const clients = (await rows(clientQuery!, ALL)).map((r) => String(r._value));
    expect(clients.sort()).toEqual([...new Set(data.current.fleet.map((d) => d.client))].sort());
    const types = (await rows(typeQuery!, { ...ALL, client: [clients[0]!] })).map((r) => String(r._value));
    const ofClient = data.current.fleet.filter((d) => d.client === clients[0]);
    expect(types.sort()).toEqual([...new Set(ofClient.map((d) => d.type))].sort());
    const devices = (await rows(deviceQuery!, { ...ALL, client: [clients[0]!], type: [types[0]!] })).map(
      (r) => String(r._value),
    );
    expect(devices.sort()).toEqual(
      ofClient
        .filter((d) => d.type === types[0])
        .map((d) => d.id)
        .sort(),
    );
    for (const q of [clientQuery!, typeQuery!, deviceQuery!])
      expect((await rows(q, ALL)).length, q.where).toBeGreaterThan(0);
  });

  it("every panel and annotation query returns rows with All selected", async () => {
    const empty: string[] = [];
    for (const q of panelQueries) {
      const result = await rows(q, ALL);
      // The per-device rolling mean is for chosen devices: with All the fleet band stands for it.
      if (q.text.includes(`"${MEASUREMENT.stats}"`)) expect(result, q.where).toEqual([]);
      else if (result.length === 0) empty.push(`${q.dashboard}: ${q.where}`);
    }
    expect(empty).toEqual([]);
    expect(panelQueries.length).toBeGreaterThanOrEqual(15);
  });

  it("every panel and annotation query returns rows for one selected device (the one with most anomalies)", async () => {
    const counts = await bucket.current.client.getQueryApi(bucket.current.server.org).collectRows<{
      device: string;
      _value: number;
    }>(flux`
        from(bucket: ${bucket.current.name})
          |> range(start: 0)
          |> filter(fn: (r) => r._measurement == ${MEASUREMENT.anomaly} and r._field == "value" and r.metric != "all")
          |> group(columns: ["device"])
          |> count()`);
    const top = counts.sort((a, b) => b._value - a._value)[0]!;
    const device = data.current.fleet.find((d) => d.id === top.device)!;
    const one: Selection = { site: "all", client: [device.client], type: [device.type], device: [device.id] };
    const empty: string[] = [];
    for (const q of panelQueries) {
      const result = await rows(q, one);
      // A device has one main metric: the other two metrics' series panels are empty for it by design.
      const otherMetric = /^panel "(Temperature|Humidity|Activity level):/.exec(q.where);
      if (otherMetric && !q.text.includes(`"${mainMetricOf(device.type)}"`)) continue;
      if (result.length === 0) empty.push(`${q.dashboard}: ${q.where}`);
      for (const r of result) if ("device" in r) expect(r.device, q.where).toBe(device.id);
    }
    expect(empty).toEqual([]);
  });

  it("the anomaly annotation gives time and text; the anomaly table the schema's fields", async () => {
    const annotation = panelQueries.find((q) => q.where.startsWith("annotation"))!;
    const events = await rows(annotation, ALL);
    for (const e of events) {
      expect(Date.parse(String(e._time))).toBeGreaterThan(0);
      expect(String(e._value)).not.toBe("");
      expect(e.rule).toBeTruthy();
    }
    const table = panelQueries.find((q) => q.where === 'panel "Anomalies" A')!;
    const [first] = await rows(table, ALL);
    expect(Object.keys(first!)).toEqual(
      expect.arrayContaining([
        "_time",
        "device",
        "rule",
        "severity",
        "value",
        "threshold",
        "score",
        "message",
      ]),
    );
  });

  it("per-client aggregates give mean, min, max and samples per client and metric", async () => {
    const q = panelQueries.find((x) => x.where === 'panel "Per-client aggregates" A')!;
    const result = await rows(q, ALL);
    for (const r of result) {
      expect(Number(r.min)).toBeLessThanOrEqual(Number(r.mean));
      expect(Number(r.mean)).toBeLessThanOrEqual(Number(r.max));
      expect(Number(r.samples)).toBeGreaterThan(0);
    }
    const pairs = new Set(data.current.fleet.map((d) => `${d.client}/${mainMetricOf(d.type)}`));
    expect(result.map((r) => `${String(r.client)}/${String(r.metric)}`).sort()).toEqual([...pairs].sort());
  });
});

describe("dashboard Flux queries", () => {
  it("are found in the provisioned dashboards", () => {
    expect(fluxQueries.length).toBeGreaterThanOrEqual(18);
  });
});

function mainMetricOf(type: string): string {
  return {
    temperature_sensor: "temperature",
    humidity_sensor: "humidity",
    activity_tracker: "activity_level",
  }[type]!;
}
