// Pure rendering: targets judged from results, and the Markdown of
// bench/results/*.md, which bench/README.md links. Unit-tested; no I/O.
import { LOOKBACK_RANGE, costRatio } from "./longrange.js";
import { peerTargets, renderPeer } from "./peer-report.js";
import type {
  BenchResults,
  CycleRun,
  DashboardRefresh,
  DetectionResults,
  LongRangeResults,
  TargetResult,
} from "./results.js";

const TEN_K = 10_000;

function fmt(n: number | undefined, digits = 0): string {
  if (n === undefined || !Number.isFinite(n)) return "n/a";
  return n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function pct(n: number | undefined): string {
  return n === undefined || !Number.isFinite(n) ? "n/a" : `${(n * 100).toFixed(0)} %`;
}

function lastSteady(run: CycleRun) {
  return run.steady[run.steady.length - 1];
}

/** Judges the targets of issue 8 (and issue 4's detection figures) from the results. */
export function evaluateTargets(r: Omit<BenchResults, "targets">): TargetResult[] {
  const out: TargetResult[] = [];
  const judge = (
    name: string,
    target: string,
    value: number | undefined,
    ok: (v: number) => boolean,
    show: (v: number) => string,
  ) =>
    out.push(
      value === undefined || !Number.isFinite(value)
        ? { name, target, value: "not measured", met: null }
        : { name, target, value: show(value), met: ok(value) },
    );

  judge("Ingester write path vs raw ceiling", ">= 70 %", r.write?.ratio, (v) => v >= 0.7, pct);

  const measured = r.cycles?.runs.filter((x) => x.perServed) ?? [];
  judge(
    "Stored points per served device-minute, every fleet size",
    "= 1.000, none missing",
    measured.length
      ? Math.max(...measured.map((x) => Math.abs(x.perServed!.ratio - 1) + x.perServed!.missing))
      : undefined,
    (v) => v === 0,
    () => measured.map((x) => `${fmt(x.devices)}: ${x.perServed!.ratio.toFixed(3)}`).join(", "),
  );

  const tenK = r.cycles?.runs.find((x) => x.devices === TEN_K && !x.error);
  const steady = tenK && lastSteady(tenK);
  judge(
    "Steady cycle, 10,000 devices",
    "<= 10 s",
    steady ? steady.ms : undefined,
    (v) => v <= 10_000,
    (v) => `${fmt(v / 1000, 1)} s`,
  );
  judge(
    "Catch-up cycle, 10,000 devices",
    "<= 30 s",
    tenK?.catchUp.ms,
    (v) => v <= 30_000,
    (v) => `${fmt(v / 1000, 1)} s`,
  );
  judge(
    "Ingester peak RSS, 10,000 devices",
    "<= 250 MB",
    tenK?.peakRssMb,
    (v) => v <= 250,
    (v) => `${fmt(v)} MB`,
  );

  for (const name of ["summary (24h)", "stats (24h)", "summary (1h)", "stats (1h)"]) {
    const e = r.api?.endpoints.find((x) => x.name === name);
    judge(
      `API ${name}: req/s vs direct Flux`,
      ">= 60 %",
      e?.ratio,
      (v) => v >= 0.6,
      (v) => `${pct(v)} (${fmt(e?.api.rps)} vs ${fmt(e?.direct.rps)} req/s)`,
    );
    judge(
      `API ${name}: p99 at concurrency ${r.api?.concurrency ?? 16}`,
      "<= 100 ms",
      e?.api.p99,
      (v) => v <= 100,
      (v) => `${fmt(v)} ms`,
    );
  }

  const d = r.detection;
  const at = d ? ` (${fmt(d.devices)} devices)` : "";
  judge(
    `Detection recall, lowest of any kind${at}`,
    ">= 0.95 (issue 16)",
    d?.score.minKindRecall,
    (v) => v >= 0.95,
    (v) => fmt(v, 3),
  );
  judge(
    `Detection precision, all events${at}`,
    ">= 0.95 (issue 16)",
    d?.score.precision,
    (v) => v >= 0.95,
    (v) => fmt(v, 3),
  );
  if (r.longrange) out.push(...longRangeTargets(r.longrange));
  if (r.peer) out.push(...peerTargets(r.peer));
  return out;
}

/** Ranges the long-range targets judge; a run that did not cover one leaves it "not measured". */
const LONG_TARGET_RANGES = ["1h", "24h", "7d", "30d"];

function dashboardRefresh(
  l: LongRangeResults,
  dashboard: string,
  range: string,
): DashboardRefresh | undefined {
  return l.dashboards.find((d) => d.dashboard === dashboard && d.range === range && d.selection === "all");
}

/** "value (note; note)", or the value alone when no note is given. */
function withNotes(value: string, notes: (string | undefined)[]): string {
  const given = notes.filter((n) => n !== undefined);
  return given.length ? `${value} (${given.join("; ")})` : value;
}

/** Targets of the long-range scenario: fleet endpoints alone, dashboard refreshes, 7d / 1h cost ratios. */
export function longRangeTargets(l: LongRangeResults): TargetResult[] {
  const out: TargetResult[] = [];
  const notMeasured = (name: string, target: string) =>
    out.push({ name, target, value: "not measured", met: null });
  const call = (endpoint: string, range: string, key: "admin" | "client") =>
    l.api.find((c) => c.endpoint === endpoint && c.range === range && c.key === key);
  const okStatus = (statuses: number[]) => statuses.length === 1 && statuses[0] === 200;

  // The summary's first query, the device list, alone: what the endpoint cannot go under.
  const floor = l.deviceList ? `device list alone ${fmt(l.deviceList.ms)} ms` : undefined;
  for (const endpoint of ["summary", "client_statistics"])
    for (const range of LONG_TARGET_RANGES) {
      const name = `Long range: admin ${endpoint} ${range}, alone`;
      const c = call(endpoint, range, "admin");
      if (!c || !Number.isFinite(c.aloneMs)) {
        notMeasured(name, "<= 500 ms, status 200");
        continue;
      }
      out.push({
        name,
        target: "<= 500 ms, status 200",
        value: withNotes(`${fmt(c.aloneMs)} ms`, [
          okStatus(c.statuses) ? undefined : `status ${c.statuses.join(", ")}`,
          endpoint === "summary" ? floor : undefined,
        ]),
        met: c.aloneMs <= 500 && okStatus(c.statuses),
      });
    }

  const dashboards = [...new Set(l.dashboards.map((d) => d.dashboard))];
  for (const dashboard of dashboards)
    for (const [range, label] of [
      ["7d", "Last 7 days"],
      ["30d", "Last 30 days"],
    ] as const) {
      const d = dashboardRefresh(l, dashboard, range);
      const time = `Dashboard "${dashboard}", ${label}, All: query time per refresh`;
      const rows = `Dashboard "${dashboard}", ${label}, All: rows per refresh`;
      if (!d) {
        notMeasured(time, "<= 2 s");
        notMeasured(rows, "<= 100,000");
        continue;
      }
      const failed = d.errors > 0 ? ` (${d.errors} queries failed)` : "";
      out.push({
        name: time,
        target: "<= 2 s",
        value: `${fmt(d.totalMs / 1000, 1)} s${failed}`,
        met: d.totalMs <= 2000 && d.errors === 0,
      });
      out.push({
        name: rows,
        target: "<= 100,000",
        value: `${fmt(d.totalRows)}${failed}`,
        met: d.totalRows <= 100_000 && d.errors === 0,
      });
    }

  const endpoints = [...new Set(l.api.filter((c) => c.range !== LOOKBACK_RANGE).map((c) => c.endpoint))];
  for (const endpoint of endpoints) {
    const name = `Long range: ${endpoint} cost 7d / 1h (alone, admin and client key)`;
    const ratios = (["admin", "client"] as const).map((key) => {
      const [long, short] = [call(endpoint, "7d", key), call(endpoint, "1h", key)];
      // A ratio of error answers says nothing about cost: a non-200 fails the target.
      const failed = [long, short].find((c) => c && !okStatus(c.statuses));
      return { key, r: costRatio(long?.aloneMs, short?.aloneMs), failed };
    });
    if (ratios.some((x) => !Number.isFinite(x.r))) {
      notMeasured(name, "<= 3, status 200");
      continue;
    }
    out.push({
      name,
      target: "<= 3, status 200",
      value: ratios
        .map(
          (x) =>
            `${x.key} ${fmt(x.r, 1)}${x.failed ? ` (status ${x.failed.statuses.join(", ")} at ${x.failed.range})` : ""}`,
        )
        .join(", "),
      met: ratios.every((x) => x.r <= 3 && !x.failed),
    });
  }
  for (const dashboard of dashboards) {
    const name = `Dashboard "${dashboard}" cost 7d / 1h (All, query time per refresh)`;
    const [long, short] = [dashboardRefresh(l, dashboard, "7d"), dashboardRefresh(l, dashboard, "1h")];
    const r = costRatio(long?.totalMs, short?.totalMs);
    const failed = (long?.errors ?? 0) + (short?.errors ?? 0);
    if (!Number.isFinite(r)) notMeasured(name, "<= 3, no query failed");
    else
      out.push({
        name,
        target: "<= 3, no query failed",
        value: `${fmt(r, 1)}${failed ? ` (${failed} queries failed)` : ""}`,
        met: r <= 3 && failed === 0,
      });
  }
  return out;
}

function renderLongRange(l: LongRangeResults): string[] {
  const lines: string[] = [];
  lines.push(
    "",
    `**6. Long range** (${fmt(l.devices)} devices, ${fmt(l.clients)} clients, ${l.days} days of minute data = ${fmt(l.readings)} readings, ` +
      `${fmt(l.lines)} lines with battery, stats and anomalies, written in ${fmt(l.loadMs / 1000, 1)} s; API_ROLLUP_AFTER ${l.apiRollupAfter || "default"})`,
    "",
    "| Phase | Wall time |",
    "| --- | ---: |",
    ...l.phases.map((p) => `| ${p.name} | ${fmt(p.ms / 1000, 1)} s |`),
  );
  const b = l.backfill;
  lines.push(
    "",
    `Rollup backfill (\`npm run rollup -- --backfill ${b.days}d\`, child process): ${fmt(b.ms / 1000, 1)} s, ${fmt(b.msPerDay / 1000, 2)} s per day of data` +
      (b.report
        ? ` (${["hours", "chunks", "seconds"].map((k) => `${k} ${String(b.report![k])}`).join(", ")})`
        : "") +
      (b.error ? `; **failed**: ${b.error.replace(/\|/g, "/")}` : "") +
      ".",
    "",
    "Hourly task's aggregation (`rollupRangeFlux`), one run over the last 6 complete hours:",
    "",
    "| Devices | Time per run | Of its 1 h period | Rows written |",
    "| ---: | ---: | ---: | ---: |",
    ...l.taskCost.map(
      (t) =>
        `| ${fmt(t.devices)} | ${t.error ? `failed after ${fmt(t.ms / 1000, 1)} s: ${t.error.replace(/\|/g, "/").slice(0, 80)}` : `${fmt(t.ms / 1000, 2)} s`} | ${fmt(t.ofPeriod * 100, 2)} % | ${fmt(t.rows)} |`,
    ),
  );
  lines.push(
    "",
    `API, every endpoint (start=-range; series and trend without every; range "${LOOKBACK_RANGE}": the endpoints that take none and read API_DEVICE_LOOKBACK): median of up to 3 requests alone, median latency with 4 in flight:`,
    "",
    "| Endpoint | Range | Key | Alone | Concurrency 4 | Status | Source |",
    "| --- | --- | --- | ---: | ---: | --- | --- |",
  );
  for (const c of l.api)
    lines.push(
      `| \`${c.path}\` | ${c.range} | ${c.key} | ${fmt(c.aloneMs)} ms | ${fmt(c.concurrentMs)} ms | ${c.statuses.map((s) => (s === 200 ? "200" : `**${s}**`)).join(", ")} | ${c.sources.join(", ") || "—"} |`,
    );
  if (l.deviceList)
    lines.push(
      "",
      `The device list alone (the first query of \`/v1/summary\` and \`/v1/devices\`: the newest point of every series over API_DEVICE_LOOKBACK, admin scope, the API's own Flux straight to InfluxDB): ${fmt(l.deviceList.ms)} ms for ${fmt(l.deviceList.series)} series (${fmt((l.deviceList.ms * 1000) / Math.max(1, l.deviceList.series))} µs per series), median of ${l.deviceList.runs}.`,
    );
  const failures = l.api.filter((c) => c.error);
  if (failures.length > 0) {
    lines.push("", "Non-200 answers:", "");
    for (const c of failures)
      lines.push(`- ${c.key} \`${c.path}\`: ${c.error!.replace(/\|/g, "/").replace(/`/g, "'")}`);
  }
  lines.push(
    "",
    "Dashboards: every Flux query (panels, variables, annotations) one after the other as one refresh; v.windowPeriod = range / maxDataPoints (1000 when unset), rounded up to whole seconds, at least 1m:",
    "",
    "| Dashboard | Range | Selection | Query time | Rows | Slowest query | Failed |",
    "| --- | --- | --- | ---: | ---: | --- | ---: |",
  );
  for (const d of l.dashboards) {
    const slowest = [...d.queries].sort((a, b) => b.ms - a.ms)[0];
    lines.push(
      `| ${d.dashboard} | ${d.range} | ${d.selection === "all" ? "All" : "one device"} | ${fmt(d.totalMs)} ms | ${fmt(d.totalRows)} | ${slowest ? `${slowest.where.replace(/\|/g, "/")}: ${fmt(slowest.ms)} ms, ${fmt(slowest.rows)} rows` : ""} | ${d.errors} |`,
    );
  }
  if (l.dashboardsWithoutFlux.length > 0)
    lines.push("", `Not measured (no Flux query): ${l.dashboardsWithoutFlux.join(", ")}.`);
  return lines;
}

/** The markdown report: machine, then one table per scenario, then the targets. */
export function renderMarkdown(r: BenchResults): string {
  const m = r.machine;
  const lines: string[] = [];
  lines.push(`### Benchmark results (${r.mode}) — ${r.date}`);
  lines.push("");
  lines.push(
    `Machine: ${m.nproc} CPUs (${m.cpuModel}), ${fmt(m.memoryMb)} MB RAM, ${m.os}, Node ${m.node}, influxd ${m.influxd}; ` +
      `load average ${fmt(m.loadAtStart, 2)} at start${m.loadAtEnd === undefined ? "" : `, ${fmt(m.loadAtEnd, 2)} at end`}. ` +
      `Run took ${fmt(r.durationS)} s.`,
  );
  if (r.note) lines.push("", r.note);

  if (r.write) {
    const w = r.write;
    lines.push(
      "",
      `**1-2. Write path** (${fmt(w.points)} points, ${fmt(w.bytes / 1e6, 1)} MB of line protocol, the same lines for every writer; median of interleaved rounds, each into a fresh bucket)`,
      "",
    );
    lines.push(
      "| Writer | Batch (lines) | gzip | Requests | Points/s (median) | Rounds (points/s) | vs raw |",
      "| --- | ---: | --- | ---: | ---: | ---: | ---: |",
    );
    for (const v of [w.raw, w.rawGzip, w.sink, ...(w.sinkBatch ? [w.sinkBatch] : [])])
      lines.push(
        `| ${v.label} | ${fmt(v.batchLines)} | ${v.gzip ? "yes" : "no"} | ${fmt(v.requests)} | ${fmt(v.pointsPerS)} | ${(v.rounds ?? [v.pointsPerS]).map((x) => fmt(x)).join(", ")} | ${pct(v.pointsPerS / w.raw.pointsPerS)} |`,
      );
  }

  if (r.cycles) {
    lines.push(
      "",
      "**3. Full cycle** (simulator realistic mode in the bench process, real ingester as a child process)",
      "",
    );
    lines.push(
      "The clock moves one minute ± 5 s per cycle and runs between cycles. Stored per served = history points in InfluxDB per device-minute served (must be 1.000).",
      "",
      "| Devices | Cycle | Wall time | Samples | Samples/s | Upstream req/s | Peak RSS (VmHWM) | Stored per served |",
      "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    );
    for (const run of r.cycles.runs) {
      if (run.error) {
        lines.push(
          `| ${fmt(run.devices)} | failed | ${run.error.replace(/\|/g, "/").slice(0, 120)} | | | | | |`,
        );
        continue;
      }
      const steady = lastSteady(run);
      for (const [label, c] of [
        ["catch-up", run.catchUp],
        ["steady", steady],
      ] as const) {
        if (!c) continue;
        lines.push(
          `| ${fmt(run.devices)} | ${label} | ${fmt(c.ms / 1000, 2)} s | ${fmt(c.samples)} | ${fmt(c.samplesPerS)} | ${fmt(c.upstreamRequestsPerS)} | ${fmt(c.peakRssMb)} MB | ${label === "steady" && run.perServed ? `${run.perServed.ratio.toFixed(3)} (${fmt(run.perServed.missing)} missing)` : ""} |`,
        );
      }
    }
    if (r.cycles.growth.length > 0) {
      lines.push("", "Growth exponent k (y ~ devices^k; 1 = linear, < 1 = better):", "");
      lines.push("| Devices | Catch-up time | Steady time | Peak RSS |", "| --- | ---: | ---: | ---: |");
      for (const g of r.cycles.growth)
        lines.push(
          `| ${fmt(g.from)} → ${fmt(g.to)} | ${fmt(g.catchUpTime, 2)} | ${fmt(g.steadyTime, 2)} | ${fmt(g.peakRss, 2)} |`,
        );
    }
  }

  if (r.api) {
    const a = r.api;
    lines.push(
      "",
      `**4. API under load** (${fmt(a.devices)} devices, ${fmt(a.clients)} clients, ${a.hours} h of minute data = ${fmt(a.readings)} readings; ` +
        `concurrency ${a.concurrency}, ${a.durationS} s per row; direct = the same Flux queries through the official client, no HTTP server)`,
      "",
    );
    lines.push(
      "| Endpoint | Alone (API / direct) | API req/s | API p50 | API p99 | Direct req/s | Direct p50 | Direct p99 | API / direct | Errors |",
      "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    );
    for (const e of a.endpoints)
      lines.push(
        `| \`${e.path}\` | ${fmt(e.aloneMs.api)} / ${fmt(e.aloneMs.direct)} ms | ${fmt(e.api.rps, 1)} | ${fmt(e.api.p50)} ms | ${fmt(e.api.p99)} ms | ${fmt(e.direct.rps, 1)} | ${fmt(e.direct.p50)} ms | ${fmt(e.direct.p99)} ms | ${pct(e.ratio)} | ${e.api.errors + e.api.non2xx + e.direct.errors} |`,
      );
  }

  if (r.detection) lines.push("", ...renderDetection(r.detection));

  if (r.longrange) lines.push(...renderLongRange(r.longrange));
  if (r.peer) lines.push(...renderPeer(r.peer));

  lines.push("", "**Targets**", "", "| Target | Goal | Measured | Met |", "| --- | --- | --- | --- |");
  for (const t of r.targets)
    lines.push(
      `| ${t.name} | ${t.target} | ${t.value} | ${t.met === null ? "not measured" : t.met ? "met" : "**missed**"} |`,
    );

  if (r.errors.length > 0) {
    lines.push("", "**Errors**", "");
    for (const e of r.errors) lines.push(`- ${e.scenario}: ${e.message}`);
  }
  return `${lines.join("\n")}\n`;
}

/** The detection scenario's tables: recall per injected kind, precision per rule. */
export function renderDetection(d: DetectionResults): string[] {
  const kinds = Object.entries(d.score.byKind).map(
    ([kind, k]) =>
      `| ${kind} | ${fmt(k.scored)} | ${fmt(k.found)} | ${fmt(k.recall, 3)} | ${fmt(k.unobserved)} |`,
  );
  const rules = Object.entries(d.score.byRule)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([rule, r]) => `| ${rule} | ${fmt(r.events)} | ${fmt(r.truePositives)} | ${fmt(r.precision, 3)} |`);
  return [
    `**5. Anomaly detection** (${fmt(d.devices)} devices, ${d.cycles} cycles, ${d.minutesServed} simulated minutes of which the first ${d.warmupMinutes} are not judged, ${d.cadence}, anomaly rate ${d.anomalyRate}, default rules)`,
    "",
    "| Injected kind | Episodes | Found | Recall | Not observable |",
    "| --- | ---: | ---: | ---: | ---: |",
    ...kinds,
    `| **all** | ${fmt(d.score.scored)} | ${fmt(d.score.found)} | ${fmt(d.score.recall, 3)} | |`,
    "",
    "| Rule | Events | True | Precision |",
    "| --- | ---: | ---: | ---: |",
    ...rules,
    `| **all** | ${fmt(d.score.events)} | ${fmt(d.score.truePositives)} | ${fmt(d.score.precision, 3)} |`,
  ];
}
