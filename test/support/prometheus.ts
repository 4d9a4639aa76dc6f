// A real Prometheus for integration tests: started on a free loopback port
// with a generated scrape config, queried over its HTTP API, removed after.
import { type ChildProcess, spawn } from "node:child_process";
import { access, mkdtemp, rm, writeFile } from "node:fs/promises";
import { constants } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { freePort } from "../../shared/net/free-port.js";

export async function findPrometheus(): Promise<string | null> {
  const candidates = process.env.PROMETHEUS_BIN
    ? [process.env.PROMETHEUS_BIN]
    : (process.env.PATH ?? "").split(delimiter).map((dir) => join(dir, "prometheus"));
  for (const path of candidates) {
    try {
      await access(path, constants.X_OK);
      return path;
    } catch {
      // not here
    }
  }
  return null;
}

export interface ScrapeTarget {
  job: string;
  /** host:port */
  target: string;
  metricsPath?: string;
}

export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface RunningPrometheus {
  url: string;
  port: number;
  configFile: string;
  /** GET an /api/v1/... path; returns `data`, throws unless status is success. */
  get<T>(path: string): Promise<T>;
  /** Instant PromQL query; returns the vector's samples. */
  query(promql: string): Promise<PromSample[]>;
  /** Polls `query` until `accept` holds for its result, or throws after `timeoutMs`. */
  waitFor(
    promql: string,
    accept: (samples: PromSample[]) => boolean,
    timeoutMs?: number,
  ): Promise<PromSample[]>;
  stop(): Promise<void>;
}

function scrapeConfig(targets: ScrapeTarget[], intervalSeconds: number): string {
  // YAML is a superset of JSON, so a JSON document is a valid prometheus.yml.
  return JSON.stringify({
    global: { scrape_interval: `${intervalSeconds}s`, scrape_timeout: `${intervalSeconds}s` },
    scrape_configs: targets.map((t) => ({
      job_name: t.job,
      metrics_path: t.metricsPath ?? "/metrics",
      static_configs: [{ targets: [t.target] }],
    })),
  });
}

export async function startPrometheus(
  bin: string,
  targets: ScrapeTarget[],
  { scrapeIntervalSeconds = 1 } = {},
): Promise<RunningPrometheus> {
  return startPrometheusWithConfig(bin, scrapeConfig(targets, scrapeIntervalSeconds));
}

/** Starts Prometheus with a whole config text (e.g. the repo's prometheus.yml, targets substituted). */
export async function startPrometheusWithConfig(
  bin: string,
  configText: string,
  port?: number,
): Promise<RunningPrometheus> {
  const dir = await mkdtemp(join(tmpdir(), "prometheus-test-"));
  const configFile = join(dir, "prometheus.yml");
  await writeFile(configFile, configText);
  port ??= await freePort();
  const url = `http://127.0.0.1:${port}`;
  let output = "";
  const child: ChildProcess = spawn(
    bin,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--log.level=warn",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8000);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}:\n${output}`);
    try {
      if ((await fetch(`${url}/-/ready`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus not ready after 30 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  const query = async (promql: string): Promise<PromSample[]> => {
    const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await res.json()) as {
      status: string;
      error?: string;
      data?: { resultType: string; result: PromSample[] };
    };
    if (body.status !== "success" || !body.data)
      throw new Error(`PromQL ${promql} failed: ${body.error ?? res.status}`);
    if (body.data.resultType !== "vector")
      throw new Error(`PromQL ${promql}: expected a vector, got ${body.data.resultType}`);
    return body.data.result;
  };

  // Generous: on a loaded 2-core machine the first scrapes can lag well behind the interval.
  const waitFor = async (promql: string, accept: (s: PromSample[]) => boolean, timeoutMs = 90_000) => {
    const until = Date.now() + timeoutMs;
    let last: PromSample[] = [];
    while (Date.now() < until) {
      last = await query(promql);
      if (accept(last)) return last;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(
      `PromQL ${promql} never gave the expected result in ${timeoutMs} ms; last: ${JSON.stringify(last)}`,
    );
  };

  const get = async <T>(path: string): Promise<T> => {
    const body = (await (await fetch(`${url}${path}`)).json()) as { status: string; error?: string; data: T };
    if (body.status !== "success") throw new Error(`${path}: ${body.error ?? "failed"}`);
    return body.data;
  };

  return { url, port, configFile, get, query, waitFor, stop };
}
