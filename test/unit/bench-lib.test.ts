// Pure logic of the benchmark suite (bench/lib): percentiles and summaries,
// growth exponents, detection scoring, target judging and the markdown table.
// No timings are asserted.
import { describe, expect, it } from "vitest";
import { observedFrom, scoreDetection, truthStartMs } from "../../bench/lib/detection.js";
import {
  costRatio,
  distinct,
  fluxDurationLiteral,
  grafanaFlux,
  LOOKBACK_RANGE,
  median,
  panelTitleOf,
  rangesCovered,
  windowPeriodMs,
} from "../../bench/lib/longrange.js";
import { peerTargets, renderPeer } from "../../bench/lib/peer-report.js";
import { roundOrder } from "../../bench/scenarios/peer.js";
import { evaluateTargets, longRangeTargets, renderMarkdown } from "../../bench/lib/report.js";
import type {
  BenchResults,
  CycleFigures,
  DashboardRefresh,
  LongRangeCall,
  LongRangeResults,
} from "../../bench/lib/results.js";
import { growthExponents, percentile, ratePerSecond, ratio, summarize } from "../../bench/lib/stats.js";

describe("percentile and summarize", () => {
  it("interpolates between closest ranks", () => {
    const v = [5, 1, 4, 2, 3];
    expect(percentile(v, 0)).toBe(1);
    expect(percentile(v, 50)).toBe(3);
    expect(percentile(v, 100)).toBe(5);
    expect(percentile(v, 25)).toBe(2);
    expect(percentile([10, 20], 50)).toBe(15);
    expect(percentile([10, 20], 99)).toBeCloseTo(19.9);
    expect(percentile([7], 99)).toBe(7);
  });
  it("is NaN when empty and rejects p outside 0..100", () => {
    expect(percentile([], 50)).toBeNaN();
    expect(() => percentile([1], 101)).toThrow(RangeError);
    expect(() => percentile([1], -1)).toThrow(RangeError);
  });
  it("does not reorder its input", () => {
    const v = [3, 1, 2];
    percentile(v, 50);
    expect(v).toEqual([3, 1, 2]);
  });
  it("summarizes latencies", () => {
    const v = Array.from({ length: 100 }, (_, i) => i + 1);
    const s = summarize(v);
    expect(s.count).toBe(100);
    expect(s.mean).toBe(50.5);
    expect(s.p50).toBe(50.5);
    expect(s.p99).toBeCloseTo(99.01);
    expect(s.max).toBe(100);
    expect(summarize([]).count).toBe(0);
    expect(summarize([]).p99).toBeNaN();
  });
  it("computes rates and ratios, NaN when undefined", () => {
    expect(ratePerSecond(500, 250)).toBe(2000);
    expect(ratePerSecond(1, 0)).toBeNaN();
    expect(ratio(7, 10)).toBe(0.7);
    expect(ratio(1, 0)).toBeNaN();
    expect(ratio(Number.NaN, 1)).toBeNaN();
  });
});

describe("growthExponents", () => {
  it("is 1 for linear growth, 0 for constant, 2 for quadratic", () => {
    expect(
      growthExponents([
        { x: 100, y: 10 },
        { x: 1000, y: 100 },
      ])[0],
    ).toBeCloseTo(1);
    expect(
      growthExponents([
        { x: 100, y: 10 },
        { x: 1000, y: 10 },
      ])[0],
    ).toBeCloseTo(0);
    expect(
      growthExponents([
        { x: 10, y: 1 },
        { x: 100, y: 100 },
      ])[0],
    ).toBeCloseTo(2);
  });
  it("gives one exponent per consecutive pair, NaN for unusable points", () => {
    const k = growthExponents([
      { x: 1, y: 1 },
      { x: 2, y: 2 },
      { x: 4, y: 0 },
    ]);
    expect(k).toHaveLength(2);
    expect(k[0]).toBeCloseTo(1);
    expect(k[1]).toBeNaN();
    expect(growthExponents([{ x: 1, y: 1 }])).toEqual([]);
  });
});

describe("scoreDetection", () => {
  const min = 60_000;
  const truth = [
    { device: "d1", metric: "temperature", kind: "spike", startMs: 10 * min, minutes: 2 },
    { device: "d1", metric: "temperature", kind: "stuck", startMs: 30 * min, minutes: 6 },
    { device: "d2", metric: "humidity", kind: "drop", startMs: 5 * min, minutes: 2 },
    // Starts before the served window: not scored for recall, still truth for precision.
    { device: "d2", metric: "humidity", kind: "spike", startMs: -5 * min, minutes: 10 },
    { device: "d3", metric: "battery_level", kind: "battery_drain", startMs: 10 * min, minutes: 8 },
  ];
  it("scores recall per kind inside the span and precision per rule over every event", () => {
    const events = [
      { device: "d1", metric: "temperature", rule: "threshold_high", timeMs: 11 * min }, // spike found
      { device: "d1", metric: "temperature", rule: "zscore", timeMs: 20 * min }, // false positive
      { device: "d2", metric: "humidity", rule: "level_shift", timeMs: 6 * min }, // drop found
      { device: "d2", metric: "humidity", rule: "zscore", timeMs: 1 * min }, // in the early spike: true
      { device: "d3", metric: "battery_level", rule: "battery_drain", timeMs: 12 * min }, // drain found
      { device: "d1", metric: "all", rule: "silent", timeMs: 11 * min }, // no silence injected: false
    ];
    const s = scoreDetection({ truth, events, firstMs: 0, lastMs: 60 * min });
    expect(s.byKind).toEqual({
      spike: { scored: 1, found: 1, recall: 1, unobserved: 0 },
      stuck: { scored: 1, found: 0, recall: 0, unobserved: 0 },
      drop: { scored: 1, found: 1, recall: 1, unobserved: 0 },
      battery_drain: { scored: 1, found: 1, recall: 1, unobserved: 0 },
    });
    expect(s.recall).toBe(0.75);
    expect(s.minKindRecall).toBe(0);
    expect(s.byRule.zscore).toEqual({ events: 2, truePositives: 1, precision: 0.5 });
    expect(s.byRule.silent).toEqual({ events: 1, truePositives: 0, precision: 0 });
    expect(s.events).toBe(6);
    expect(s.truePositives).toBe(4);
  });
  it("counts a low battery once an hour as true, again within the hour as noise", () => {
    const low = (device: string, m: number) => ({
      device,
      metric: "battery_level",
      rule: "battery_low",
      timeMs: m * min,
    });
    const s = scoreDetection({
      truth: [],
      events: [low("d9", 0), low("d9", 30), low("d9", 95), low("d8", 31)],
      firstMs: 0,
      lastMs: 120 * min,
    });
    expect(s.byRule.battery_low).toEqual({ events: 4, truePositives: 3, precision: 0.75 });
  });
  it("does not score an episode after the last minute, or one no reading could see", () => {
    const s = scoreDetection({ truth, events: [], firstMs: 0, lastMs: 33 * min });
    expect(s.byKind.stuck!.scored).toBe(0);
    expect(s.scored).toBe(4 - 1);
    expect(s.precision).toBeNaN();
    const observed = observedFrom("battery_level", new Map([["d3", [9 * min, 18 * min]]]));
    const unseen = scoreDetection({ truth, events: [], firstMs: 0, lastMs: 60 * min, observed });
    expect(unseen.byKind.battery_drain).toMatchObject({ scored: 0, unobserved: 1 });
    const seen = observedFrom("battery_level", new Map([["d3", [9 * min, 17 * min]]]));
    expect(
      scoreDetection({ truth, events: [], firstMs: 0, lastMs: 60 * min, observed: seen }).byKind
        .battery_drain,
    ).toMatchObject({ scored: 1, unobserved: 0 });
  });
  it("an event exactly at an episode's end is outside it", () => {
    const s = scoreDetection({
      truth,
      events: [{ device: "d1", metric: "temperature", rule: "stuck", timeMs: 12 * min }],
      firstMs: 0,
      lastMs: 60 * min,
    });
    expect(s.truePositives).toBe(0);
  });
  it("reads the simulator's zone-less microsecond timestamps as UTC", () => {
    expect(truthStartMs("2026-01-31T12:00:00.000000")).toBe(Date.UTC(2026, 0, 31, 12));
  });
});

function cycle(ms: number, peakRssMb: number): CycleFigures {
  return {
    ms,
    samples: 20_000,
    lines: 30_000,
    samplesPerS: 1,
    upstreamRequests: 20_001,
    upstreamRequestsPerS: 1,
    failedDevices: 0,
    peakRssMb,
    rssMb: peakRssMb,
    heapUsedMb: peakRssMb / 2,
  };
}

function results(): Omit<BenchResults, "targets"> {
  const endpoint = (name: string, apiRps: number, directRps: number, p99: number) => ({
    name,
    path: `/v1/${name}`,
    api: { requests: 10, rps: apiRps, p50: 10, p99, errors: 0, non2xx: 0 },
    direct: { requests: 10, rps: directRps, p50: 5, p99: 20, errors: 0, non2xx: 0 },
    ratio: apiRps / directRps,
    aloneMs: { api: 12, direct: 8 },
  });
  return {
    date: "2026-11-27T00:00:00.000Z",
    mode: "full",
    machine: {
      nproc: 2,
      memoryMb: 24_000,
      cpuModel: "Test CPU",
      node: "v20.0.0",
      influxd: "v2.8.0",
      os: "Linux",
      loadAtStart: 1,
    },
    note: "shared machine",
    durationS: 100,
    write: {
      points: 1000,
      bytes: 100_000,
      raw: {
        label: "raw",
        points: 1000,
        ms: 100,
        pointsPerS: 10_000,
        batchLines: 10_000,
        requests: 1,
        gzip: false,
      },
      rawGzip: {
        label: "raw gzip",
        points: 1000,
        ms: 100,
        pointsPerS: 9000,
        batchLines: 10_000,
        requests: 1,
        gzip: true,
      },
      sink: {
        rounds: [7000, 8000, 9000],
        label: "sink",
        points: 1000,
        ms: 125,
        pointsPerS: 8000,
        batchLines: 5000,
        requests: 1,
        gzip: true,
        enqueueMs: 5,
      },
      ratio: 0.8,
    },
    cycles: {
      runs: [
        { devices: 1000, catchUp: cycle(2000, 150), steady: [cycle(900, 160)], startupMs: 1, peakRssMb: 160 },
        {
          devices: 10_000,
          catchUp: cycle(31_000, 200),
          steady: [cycle(12_000, 240), cycle(8000, 260)],
          startupMs: 1,
          peakRssMb: 260,
        },
      ],
      growth: [{ from: 1000, to: 10_000, catchUpTime: 1.2, steadyTime: 0.95, peakRss: 0.2 }],
    },
    api: {
      devices: 1000,
      clients: 10,
      hours: 24,
      readings: 1_440_000,
      loadMs: 1,
      concurrency: 16,
      durationS: 10,
      endpoints: [endpoint("summary (24h)", 50, 100, 90), endpoint("stats (24h)", 70, 100, 150)],
    },
    errors: [],
  };
}

describe("evaluateTargets", () => {
  it("judges each target from the figures, the last steady cycle counting", () => {
    const t = Object.fromEntries(evaluateTargets(results()).map((x) => [x.name, x]));
    expect(t["Ingester write path vs raw ceiling"]).toMatchObject({ met: true, value: "80 %" });
    expect(t["Steady cycle, 10,000 devices"]).toMatchObject({ met: true, value: "8.0 s" });
    expect(t["Catch-up cycle, 10,000 devices"]).toMatchObject({ met: false, value: "31.0 s" });
    expect(t["Ingester peak RSS, 10,000 devices"]).toMatchObject({ met: false, value: "260 MB" });
    expect(t["API summary (24h): req/s vs direct Flux"]?.met).toBe(false);
    expect(t["API summary (24h): p99 at concurrency 16"]?.met).toBe(true);
    expect(t["API stats (24h): req/s vs direct Flux"]?.met).toBe(true);
    expect(t["API stats (24h): p99 at concurrency 16"]?.met).toBe(false);
    expect(t["API summary (1h): req/s vs direct Flux"]).toMatchObject({ met: null, value: "not measured" });
    expect(t["Detection recall, lowest of any kind"]).toMatchObject({ met: null });
  });
  it("leaves what a run did not measure as not measured", () => {
    const r = results();
    delete r.write;
    delete r.cycles;
    const t = evaluateTargets(r);
    expect(t.find((x) => x.name.startsWith("Ingester write"))?.met).toBeNull();
    expect(t.find((x) => x.name.startsWith("Steady"))?.met).toBeNull();
  });
});

describe("renderMarkdown", () => {
  it("shows the machine, every scenario's rows with ratios, and the targets", () => {
    const partial = results();
    const md = renderMarkdown({ ...partial, targets: evaluateTargets(partial) });
    expect(md).toContain("2026-11-27T00:00:00.000Z");
    expect(md).toContain("2 CPUs (Test CPU)");
    expect(md).toContain("influxd v2.8.0");
    expect(md).toContain("| sink | 5,000 | yes | 1 | 8,000 | 7,000, 8,000, 9,000 | 80 % |");
    expect(md).toContain("| raw | 10,000 | no | 1 | 10,000 | 10,000 | 100 % |");
    expect(md).toContain("| 10,000 | steady | 8.00 s |");
    expect(md).toContain("| 1,000 → 10,000 | 1.20 | 0.95 | 0.20 |");
    expect(md).toContain("| `/v1/summary (24h)` | 12 / 8 ms | 50.0 |");
    expect(md).toContain("| 50 %");
    expect(md).toContain("| Catch-up cycle, 10,000 devices | <= 30 s | 31.0 s | **missed** |");
    expect(md).toContain(
      "| API summary (1h): req/s vs direct Flux | >= 60 % | not measured | not measured |",
    );
    // Every table row has as many cells as its header.
    for (const block of md.split("\n\n").filter((b) => b.startsWith("|"))) {
      const rows = block.trim().split("\n");
      const cells = (row: string) => row.split(/(?<!\\)\|/).length;
      for (const row of rows) expect(cells(row)).toBe(cells(rows[0]!));
    }
  });
  it("lists scenario errors", () => {
    const partial = { ...results(), errors: [{ scenario: "api", message: "boom" }] };
    expect(renderMarkdown({ ...partial, targets: [] })).toContain("- api: boom");
  });
});

describe("long-range helpers", () => {
  it("covers the ranges the loaded days hold completely", () => {
    expect(rangesCovered(2).map((r) => r.label)).toEqual(["1h", "24h"]);
    expect(rangesCovered(7).map((r) => r.label)).toEqual(["1h", "24h", "7d"]);
    expect(rangesCovered(30).map((r) => r.label)).toEqual(["1h", "24h", "7d", "30d"]);
  });
  it("v.windowPeriod: range / maxDataPoints rounded up to whole seconds, at least 1m", () => {
    expect(windowPeriodMs(3_600_000)).toBe(60_000);
    expect(windowPeriodMs(86_400_000)).toBe(87_000);
    expect(windowPeriodMs(7 * 86_400_000)).toBe(605_000);
    expect(windowPeriodMs(30 * 86_400_000)).toBe(2_592_000);
    expect(windowPeriodMs(86_400_000, 100)).toBe(864_000);
    expect(() => windowPeriodMs(0)).toThrow(RangeError);
  });
  it("writes Flux duration literals", () => {
    expect(fluxDurationLiteral(60_000)).toBe("1m");
    expect(fluxDurationLiteral(605_000)).toBe("10m5s");
    expect(fluxDurationLiteral(2_592_000)).toBe("43m12s");
    expect(fluxDurationLiteral(90_061_000)).toBe("1d1h1m1s");
    expect(() => fluxDurationLiteral(1500)).toThrow(RangeError);
  });
  it("substitutes Grafana's v.* and refuses to leave one", () => {
    const ctx = { startMs: 0, stopMs: 3_600_000, windowPeriodMs: 60_000, bucket: "b", org: "o" };
    expect(
      grafanaFlux(
        "from(bucket: v.defaultBucket) |> range(start: v.timeRangeStart, stop: v.timeRangeStop) |> aggregateWindow(every: v.windowPeriod, fn: mean) // v.organization",
        ctx,
      ),
    ).toBe(
      'from(bucket: "b") |> range(start: 1970-01-01T00:00:00.000Z, stop: 1970-01-01T01:00:00.000Z) |> aggregateWindow(every: 1m, fn: mean) // "o"',
    );
    expect(() => grafanaFlux("x = v.intervalMs", ctx)).toThrow(/v\.intervalMs/);
  });
  it("reads panel titles, medians, distinct values and cost ratios", () => {
    expect(panelTitleOf('panel "Mean per metric" A')).toBe("Mean per metric");
    expect(panelTitleOf("variable client")).toBeUndefined();
    expect(median([3, 1, 2])).toBe(2);
    expect(distinct([503, 200, 200, undefined])).toBe("200, 503");
    expect(distinct(["rollup", "raw", "raw"])).toBe("raw, rollup");
    expect(costRatio(300, 100)).toBe(3);
    expect(costRatio(undefined, 100)).toBeNaN();
    expect(costRatio(100, 0)).toBeNaN();
  });
});

function longRange(): LongRangeResults {
  const call = (
    endpoint: string,
    range: string,
    key: "admin" | "client",
    aloneMs: number,
    statuses = [200],
  ): LongRangeCall => ({
    endpoint,
    path: `/${endpoint}?start=-${range}`,
    range,
    key,
    aloneMs,
    aloneRuns: 3,
    concurrentMs: aloneMs * 2,
    concurrentRuns: 8,
    statuses,
    sources: range === "7d" ? ["raw"] : [],
    ...(statuses.includes(200) && statuses.length === 1 ? {} : { error: "503: timeout | slow" }),
  });
  const refresh = (range: string, totalMs: number, totalRows: number): DashboardRefresh => ({
    dashboard: "IoT fleet",
    range,
    selection: "all",
    totalMs,
    totalRows,
    errors: 0,
    queries: [
      { where: 'panel "A" A', ms: totalMs / 2, rows: totalRows, windowPeriod: "1m" },
      { where: "variable client", ms: totalMs / 4, rows: 0, windowPeriod: "1m" },
    ],
  });
  return {
    devices: 100,
    clients: 10,
    days: 7,
    readings: 1_008_000,
    lines: 1_230_000,
    loadMs: 20_000,
    backfill: { days: 7, ms: 14_000, msPerDay: 2000, report: { hours: 168, chunks: 28, seconds: 13.5 } },
    taskCost: [{ devices: 100, hours: 6, ms: 900, rows: 7200, ofPeriod: 0.00025 }],
    apiRollupAfter: "",
    ranges: ["1h", "24h", "7d"],
    api: [
      call("summary", "1h", "admin", 100),
      call("summary", "1h", "client", 50),
      call("summary", "7d", "admin", 400),
      call("summary", "7d", "client", 200),
      call("client_statistics", "1h", "admin", 100),
      call("client_statistics", "1h", "client", 100),
      call("client_statistics", "7d", "admin", 600, [200, 503]),
      call("client_statistics", "7d", "client", 250),
      call("devices", LOOKBACK_RANGE, "admin", 300),
      call("devices", LOOKBACK_RANGE, "client", 40),
    ],
    deviceList: { ms: 80, runs: 3, series: 200 },
    dashboards: [refresh("1h", 500, 1000), refresh("7d", 1800, 150_000)],
    dashboardsWithoutFlux: ["Edge performance"],
    phases: [{ name: "load", ms: 20_000 }],
  };
}

describe("long-range targets and report", () => {
  it("judges fleet endpoints alone, dashboard refreshes and 7d / 1h ratios", () => {
    const t = Object.fromEntries(longRangeTargets(longRange()).map((x) => [x.name, x]));
    expect(t["Long range: admin summary 7d, alone"]).toMatchObject({
      met: true,
      value: "400 ms (device list alone 80 ms)",
    });
    expect(t["Long range: admin client_statistics 7d, alone"]).toMatchObject({
      met: false,
      value: "600 ms (status 200, 503)",
    });
    expect(t["Long range: admin summary 30d, alone"]).toMatchObject({ met: null });
    expect(t['Dashboard "IoT fleet", Last 7 days, All: query time per refresh']).toMatchObject({
      met: true,
      value: "1.8 s",
    });
    expect(t['Dashboard "IoT fleet", Last 7 days, All: rows per refresh']).toMatchObject({
      met: false,
      value: "150,000",
    });
    expect(t['Dashboard "IoT fleet", Last 30 days, All: rows per refresh']?.met).toBeNull();
    expect(t["Long range: summary cost 7d / 1h (alone, admin and client key)"]).toMatchObject({
      met: false,
      value: "admin 4.0, client 4.0",
    });
    // A non-200 answer fails the ratio whatever the times (a fast 400 is not cheap).
    expect(t["Long range: client_statistics cost 7d / 1h (alone, admin and client key)"]).toMatchObject({
      met: false,
      value: "admin 6.0 (status 200, 503 at 7d), client 2.5",
    });
    // An endpoint without a range (the device list) has no 7d / 1h ratio to judge.
    expect(Object.keys(t).filter((name) => name.includes("devices cost"))).toEqual([]);
    const fast400 = longRange();
    fast400.api = fast400.api.map((x) =>
      x.endpoint === "summary" && x.range === "7d" ? { ...x, aloneMs: 10, statuses: [400] } : x,
    );
    const f = Object.fromEntries(longRangeTargets(fast400).map((x) => [x.name, x]));
    expect(f["Long range: summary cost 7d / 1h (alone, admin and client key)"]).toMatchObject({
      met: false,
      value: "admin 0.1 (status 400 at 7d), client 0.2 (status 400 at 7d)",
    });
    expect(f["Long range: admin summary 7d, alone"]).toMatchObject({
      met: false,
      value: "10 ms (status 400; device list alone 80 ms)",
    });
    const onlyClient = longRange();
    onlyClient.api = onlyClient.api.filter((x) => x.key === "client");
    const c = Object.fromEntries(longRangeTargets(onlyClient).map((x) => [x.name, x]));
    expect(c["Long range: summary cost 7d / 1h (alone, admin and client key)"]?.met).toBeNull();
    expect(c["Long range: admin summary 7d, alone"]?.met).toBeNull();
    expect(t['Dashboard "IoT fleet" cost 7d / 1h (All, query time per refresh)']).toMatchObject({
      met: false,
      value: "3.6",
    });
  });
  it("renders phases, the endpoint and dashboard tables, and non-200 answers", () => {
    const partial = { ...results(), longrange: longRange() };
    const md = renderMarkdown({ ...partial, targets: evaluateTargets(partial) });
    expect(md).toContain("**6. Long range** (100 devices, 10 clients, 7 days");
    expect(md).toContain("| load | 20.0 s |");
    expect(md).toContain("`npm run rollup -- --backfill 7d`");
    expect(md).toContain("| 100 | 0.90 s | 0.03 % | 7,200 |");
    expect(md).toContain("| `/summary?start=-7d` | 7d | admin | 400 ms | 800 ms | 200 | raw |");
    expect(md).toContain(
      "| `/client_statistics?start=-7d` | 7d | admin | 600 ms | 1,200 ms | 200, **503** | raw |",
    );
    expect(md).toContain("- admin `/client_statistics?start=-7d`: 503: timeout / slow");
    expect(md).toContain(
      '| IoT fleet | 7d | All | 1,800 ms | 150,000 | panel "A" A: 900 ms, 150,000 rows | 0 |',
    );
    expect(md).toContain("Not measured (no Flux query): Edge performance.");
    expect(md).toContain("| `/summary?start=-1h` | 1h | client | 50 ms | 100 ms | 200 | — |");
    expect(md).toContain("| `/devices?start=-lookback` | lookback | admin | 300 ms | 600 ms | 200 | — |");
    expect(md).toContain("80 ms for 200 series (400 µs per series), median of 3.");
    for (const block of md.split("\n\n").filter((b) => b.startsWith("|"))) {
      const rows = block.trim().split("\n");
      const cells = (row: string) => row.split(/(?<!\\)\|/).length;
      for (const row of rows) expect(cells(row)).toBe(cells(rows[0]!));
    }
  });
});

describe("peer targets and table", () => {
  const run = (
    collector: "ingester" | "telegraf" | "node-floor",
    devices: number,
    cpuMsPerRequest: number,
    peakRssMb: number,
  ) => ({
    collector,
    devices,
    periodS: 10,
    periods: 5,
    cpuS: 1,
    cpuSPerPeriodPer1000: 2,
    upstreamRequests: 1000,
    cpuMsPerRequest,
    peakRssMb,
    servedDeviceMinutes: 200,
    storedPoints: 200,
    storedPerServed: 1,
    lostDeviceMinutes: 0,
  });

  it("compares CPU per request with Telegraf's at each size and holds the RSS ceilings", () => {
    const targets = peerTargets({
      telegraf: "Telegraf 1.37.2",
      runs: [
        run("ingester", 100, 0.5, 120),
        run("telegraf", 100, 0.4, 40),
        run("ingester", 10_000, 0.2, 240),
        run("telegraf", 10_000, 0.25, 500),
      ],
    });
    expect(targets.map((t) => [t.name, t.met])).toEqual([
      ["Ingester CPU per upstream request / Telegraf's, 100 devices", false],
      ["Ingester peak RSS (compiled), 100 devices", false],
      ["Ingester CPU per upstream request / Telegraf's, 10,000 devices", true],
      ["Ingester peak RSS (compiled), 10,000 devices", true],
    ]);
    expect(targets[0]!.value).toBe("1.25 (0.500 vs 0.400 ms)");
  });

  it("shows node:http's own floor beside the ratio, and leaves the floor's storage columns empty", () => {
    // The floor stores nothing: no storage figures.
    const floor = {
      collector: "node-floor" as const,
      devices: 100,
      periodS: 10,
      periods: 5,
      cpuS: 1,
      cpuSPerPeriodPer1000: 2,
      upstreamRequests: 1000,
      cpuMsPerRequest: 0.35,
      peakRssMb: 70,
    };
    const results = { runs: [run("ingester", 100, 0.7, 95), run("telegraf", 100, 0.35, 40), floor] };
    const targets = peerTargets(results);
    expect(targets[0]!.value).toBe("2.00 (0.700 vs 0.350 ms; node:http alone 0.350 ms)");
    expect(targets.map((t) => t.name)).toHaveLength(2);
    expect(renderPeer(results).join("\n")).toContain(
      "| 100 | node-floor | 10 s | 2.00 | 1,000 | 0.350 | 70 MB | n/a | n/a | n/a |",
    );
  });

  it("compares the steady-state window too, as its own target and table row, when both collectors have one", () => {
    const steady = (cpuMsPerRequest: number) => ({
      afterPeriods: 15,
      cpuS: 0.5,
      cpuSPerPeriodPer1000: 1,
      upstreamRequests: 1000,
      cpuMsPerRequest,
    });
    const results = {
      runs: [
        { ...run("ingester", 100, 0.8, 95), steady: steady(0.45) },
        { ...run("telegraf", 100, 0.6, 40), steady: steady(0.5) },
      ],
    };
    expect(peerTargets(results).map((t) => [t.name, t.value, t.met])).toEqual([
      ["Ingester CPU per upstream request / Telegraf's, 100 devices", "1.33 (0.800 vs 0.600 ms)", false],
      ["Same, from period 15 (steady state), 100 devices", "0.90 (0.450 vs 0.500 ms)", true],
      ["Ingester peak RSS (compiled), 100 devices", "95 MB", true],
    ]);
    expect(renderPeer(results).join("\n")).toContain(
      "| 100 | ingester, from period 15 | 10 s | 1.00 | 1,000 | 0.450 | | | | |",
    );
  });

  it("judges several rounds by their median ratio, lists every round's, and holds the highest RSS to the ceiling", () => {
    const inRound = (r: ReturnType<typeof run>, round: number) => ({ ...r, round });
    const results = {
      runs: [
        run("ingester", 100, 0.6, 95),
        run("telegraf", 100, 0.5, 40),
        inRound(run("telegraf", 100, 1.0, 41), 2),
        inRound(run("ingester", 100, 0.7, 101), 2),
        inRound(run("ingester", 100, 0.8, 96), 3),
        inRound(run("telegraf", 100, 0.9, 40), 3),
      ],
    };
    // Ratios 1.20, 0.70, 0.89: the median is under 1 though round 1 alone is not.
    expect(peerTargets(results).map((t) => [t.name, t.value, t.met])).toEqual([
      [
        "Ingester CPU per upstream request / Telegraf's, 100 devices",
        "0.89, median of 3 rounds (1.20, 0.70, 0.89; 2 of 3 at most 1.00; ingester 0.600-0.800 vs Telegraf 0.500-1.000 ms)",
        true,
      ],
      ["Ingester peak RSS (compiled), 100 devices", "101 MB, highest of 3 runs", false],
    ]);
    const table = renderPeer(results).join("\n");
    expect(table).toContain("3 rounds, the ingester and Telegraf alternating which goes first");
    expect(table).toContain("| 100 | telegraf, round 2 | 10 s | 2.00 | 1,000 | 1.000 | 41 MB |");
  });

  it("leaves out a round where one collector failed, and judges the rounds left", () => {
    const results = {
      runs: [
        run("ingester", 100, 0.6, 95),
        run("telegraf", 100, 0.5, 40),
        {
          collector: "telegraf" as const,
          devices: 100,
          round: 2,
          periodS: 10,
          periods: 0,
          error: "exited 1",
        },
        { ...run("ingester", 100, 0.9, 95), round: 2 },
      ],
    };
    expect(peerTargets(results)[0]).toMatchObject({ value: "1.20 (0.600 vs 0.500 ms)", met: false });
  });

  it("runs everyone in round 1, then the ingester and Telegraf alternating which goes first", () => {
    expect([1, 2, 3, 4].map(roundOrder)).toEqual([
      ["ingester", "telegraf", "node-floor"],
      ["telegraf", "ingester"],
      ["ingester", "telegraf"],
      ["telegraf", "ingester"],
    ]);
  });

  it("leaves a size whose Telegraf run failed not measured, and shows the failure in the table", () => {
    const results = {
      runs: [
        run("ingester", 1000, 0.3, 150),
        {
          collector: "telegraf" as const,
          devices: 1000,
          periodS: 10,
          periods: 0,
          error: "Telegraf could not be built here",
        },
      ],
    };
    expect(peerTargets(results)).toEqual([
      {
        name: "Ingester CPU per upstream request / Telegraf's, 1,000 devices",
        target: "<= 1.00",
        value: "not measured",
        met: null,
      },
    ]);
    const table = renderPeer(results).join("\n");
    expect(table).toContain("Telegraf not built");
    expect(table).toContain("| 1,000 | telegraf | 10 s | Telegraf could not be built here |");
    expect(table).toContain("| 1,000 | ingester | 10 s | 2.00 | 1,000 | 0.300 | 150 MB | n/a | 1.000 | 0 |");
  });
});
