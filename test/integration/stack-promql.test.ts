// A real Prometheus, run with the repo's prometheus/prometheus.yml (targets
// substituted to the running ingester and API processes), evaluates every
// PromQL expression of the provisioned dashboards; promtool accepts the config.
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { hashKey } from "../../api/auth/keys.js";
import { freePort } from "../../shared/net/free-port.js";
import { type RunningSimulator, startSimulator } from "../../simulator/server.js";
import {
  findExecutable,
  prometheusConfigPath,
  renderPrometheusConfig,
} from "../../scripts/stack-prometheus.js";
import { influxServer, useTestBucket } from "../support/influx.js";
import { type IngesterProcess, startIngester, tempSpoolDir } from "../support/ingester.js";
import { type ServiceProcess, startService } from "../support/processes.js";
import { loadDashboards, queriesOf } from "../support/stack-dashboards.js";
import { type RunningPrometheus, startPrometheusWithConfig } from "../support/prometheus.js";

const run = promisify(execFile);
const prometheusBin = inject("prometheusBin");
const promtool = findExecutable("promtool");
const bucket = useTestBucket(import.meta.url);
const promQueries = loadDashboards()
  .flatMap((d) => queriesOf(d))
  .filter((q) => q.language === "promql");
const KEY = "stack-promql-test-key";

let sim: RunningSimulator | undefined;
let ingester: IngesterProcess | undefined;
let api: ServiceProcess | undefined;
let prometheus: RunningPrometheus | undefined;
let traffic: NodeJS.Timeout | undefined;
let spool: string | undefined;
let apiPort = 0;

/** Grafana's interval variables, sized for a 1 s scrape interval. */
function grafanaExpr(expr: string): string {
  return expr
    .replaceAll("$__rate_interval", "15s")
    .replaceAll("$__interval", "1s")
    .replaceAll("$__range", "1m");
}

beforeAll(async () => {
  if (!prometheusBin || !influxServer) return;
  sim = await startSimulator({ seed: 5, signal: "realistic", anomalyRate: 0.05 });
  spool = await tempSpoolDir();
  const b = bucket.current;
  ingester = await startIngester({ ...b.server, bucket: b.name }, sim.url, spool);
  apiPort = await freePort();
  api = startService("api/main.ts", {
    INFLUX_URL: b.server.url,
    INFLUX_TOKEN: b.server.token,
    INFLUX_ORG: b.server.org,
    INFLUX_BUCKET: b.name,
    API_PORT: String(apiPort),
    API_HOST: "127.0.0.1",
    API_KEYS: `client_1:${hashKey(KEY)}`,
    API_KEYS_FILE: join(spool, "absent-keys.json"),
    LOG_LEVEL: "warn",
  });
  await ingester.waitForCycles(1);
  // Requests answered 200, 401 and 404, so every API series exists.
  const base = `http://127.0.0.1:${apiPort}`;
  const hit = (path: string, key?: string) =>
    fetch(`${base}${path}`, key ? { headers: { "x-api-key": key } } : {})
      .then((r) => r.body?.cancel())
      .catch(() => undefined);
  traffic = setInterval(() => {
    void hit("/v1/devices", KEY);
    void hit("/v1/devices");
    void hit("/v1/devices/no_such_device", KEY);
  }, 500);
  const promPort = await freePort();
  prometheus = await startPrometheusWithConfig(
    prometheusBin,
    renderPrometheusConfig(
      {
        ingest: `127.0.0.1:${ingester.metricsPort}`,
        api: `127.0.0.1:${apiPort}`,
        prometheus: `127.0.0.1:${promPort}`,
      },
      { scrapeInterval: "1s" },
    ),
    promPort,
  );
}, 120_000);

afterAll(async () => {
  if (traffic) clearInterval(traffic);
  await prometheus?.stop();
  await api?.stop();
  await ingester?.stop();
  await sim?.stop();
  if (spool) await rm(spool, { recursive: true, force: true });
});

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < until) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${what}: not satisfied within ${timeoutMs} ms (${String(last)})`);
}

describe.skipIf(!promtool && process.env.CI !== "true")("promtool", () => {
  it("accepts the repo's prometheus.yml and its alert rules", async () => {
    expect(promtool, "promtool comes with Debian's prometheus package").not.toBeNull();
    const { stdout } = await run(promtool!, ["check", "config", prometheusConfigPath]);
    expect(stdout).toMatch(/SUCCESS: .*prometheus\.yml is valid/);
    expect(stdout).toMatch(/SUCCESS: 7 rules found/);
  });

  it("accepts the central tier's central.yml (the API and the edge sites of edge-sites.yml)", async () => {
    const { stdout } = await run(promtool!, [
      "check",
      "config",
      join(dirname(prometheusConfigPath), "central.yml"),
    ]);
    expect(stdout).toMatch(/SUCCESS: .*central\.yml is valid/);
    expect(stdout).toMatch(/SUCCESS: 7 rules found/);
  });

  it("accepts the config with local targets substituted (what npm run stack and the tests run)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "promtool-"));
    try {
      const file = join(dir, "prometheus.yml");
      await writeFile(
        file,
        renderPrometheusConfig({ ingest: "127.0.0.1:1", api: "127.0.0.1:2", prometheus: "127.0.0.1:3" }),
      );
      await run(promtool!, ["check", "config", file]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    expect(() => renderPrometheusConfig({ ingest: "127.0.0.1:1" })).toThrow(
      /no local target given for job api/,
    );
  });
});

describe.skipIf(!prometheusBin || !influxServer)("dashboard PromQL against a real Prometheus", () => {
  it("scrapes the ingester, the API and itself with the repo's config", async () => {
    const up = await waitFor("all targets up", async () => {
      const r = await prometheus!.query("up");
      return r.length === 3 && r.every((s) => s.value[1] === "1") ? r : undefined;
    });
    expect(up.map((s) => s.metric.job).sort()).toEqual(["api", "ingest", "prometheus"]);
    const rules = await prometheus!.get<{ groups: { rules: { name: string }[] }[] }>("/api/v1/rules");
    expect(rules.groups.flatMap((g) => g.rules.map((r) => r.name))).toHaveLength(7);
  });

  it("every PromQL expression of the dashboards returns a non-empty, numeric result", async () => {
    expect(promQueries.length).toBeGreaterThanOrEqual(20);
    for (const q of promQueries) {
      const expr = grafanaExpr(q.text);
      expect(expr, q.where).not.toContain("$");
      const result = await waitFor(`${q.dashboard}: ${q.where}: ${expr}`, async () => {
        const r = await prometheus!.query(expr);
        const numeric = r.filter((s) => !Number.isNaN(Number(s.value[1])));
        return numeric.length > 0 ? r : undefined;
      });
      expect(result.length, q.where).toBeGreaterThan(0);
    }
  });

  it("the edge gauges of both services are percentages", async () => {
    for (const name of ["edge_cpu_usage", "edge_memory_usage", "edge_disk_usage"]) {
      const r = await prometheus!.query(name);
      expect(new Set(r.map((s) => s.metric.job)), name).toEqual(new Set(["api", "ingest"]));
      for (const s of r) {
        expect(Number(s.value[1])).toBeGreaterThanOrEqual(0);
        expect(Number(s.value[1])).toBeLessThanOrEqual(100);
      }
    }
  });
});
