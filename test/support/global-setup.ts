// Integration tests run against a real InfluxDB 2.x: the one named by
// INFLUX_URL/INFLUX_TOKEN/INFLUX_ORG if set, else a throw-away influxd
// started by scripts/influxdb.sh (built from source on first use). Outside CI
// a machine that can have neither skips the integration tests with one loud
// line; under CI=true that is a failure.
import { execFile } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import type { TestProject } from "vitest/node";
import { findPrometheus } from "./prometheus.js";
import type { ProvidedInflux } from "./provided.js";

const run = promisify(execFile);
const repo = join(import.meta.dirname, "..", "..");
const influxScript = join(repo, "scripts", "influxdb.sh");
const inCI = process.env.CI === "true";
const MIN_VERSION = [2, 7];

function parseExports(stdout: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of stdout.split("\n")) {
    const m = /^export ([A-Z_]+)=(.*)$/.exec(line.trim());
    // Values are printf %q-quoted; ours never contain characters needing it.
    if (m) vars[m[1]!] = m[2]!.replace(/^'(.*)'$/, "$1");
  }
  return vars;
}

async function serverInfo(url: string, token: string, org: string) {
  const health = (await (await fetch(`${url}/health`)).json()) as { status: string; version: string };
  if (health.status !== "pass")
    throw new Error(`InfluxDB at ${url} is not healthy: ${JSON.stringify(health)}`);
  const res = await fetch(`${url}/api/v2/orgs?org=${encodeURIComponent(org)}`, {
    headers: { Authorization: `Token ${token}` },
  });
  if (!res.ok)
    throw new Error(`InfluxDB at ${url}: cannot read org "${org}" (HTTP ${res.status}); check INFLUX_TOKEN`);
  const orgs = (await res.json()) as { orgs: { id: string }[] };
  const orgID = orgs.orgs[0]?.id;
  if (!orgID) throw new Error(`InfluxDB at ${url}: org "${org}" not found`);
  const [major = 0, minor = 0] = health.version.replace(/^v/, "").split(".").map(Number);
  if (major !== 2 || minor < MIN_VERSION[1]!) {
    throw new Error(
      `InfluxDB at ${url} is ${health.version}; the tests need 2.${MIN_VERSION[1]} or newer 2.x`,
    );
  }
  return { orgID, version: health.version };
}

async function canStartLocalInflux(): Promise<string | null> {
  try {
    await run("bash", [join(repo, "scripts", "build-influxd.sh"), "--check"]);
    return null;
  } catch (err) {
    return (err as { stderr?: string }).stderr?.trim() || String(err);
  }
}

export default async function setup(project: TestProject) {
  const stopFns: (() => Promise<void>)[] = [];
  let influx: ProvidedInflux | null = null;

  const { INFLUX_URL, INFLUX_TOKEN, INFLUX_ORG } = process.env;
  if (INFLUX_URL && INFLUX_TOKEN && INFLUX_ORG) {
    const info = await serverInfo(INFLUX_URL, INFLUX_TOKEN, INFLUX_ORG);
    influx = { url: INFLUX_URL, token: INFLUX_TOKEN, org: INFLUX_ORG, ...info, origin: "external" };
  } else {
    const missing = await canStartLocalInflux();
    if (missing === null) {
      mkdirSync(join(repo, ".local", "influxdb"), { recursive: true });
      const env = {
        ...process.env,
        INFLUXDB_STATE_FILE: join(repo, ".local", "influxdb", `vitest-${process.pid}.env`),
      };
      // The first run on a machine builds influxd from source: tens of minutes.
      const started = await run("bash", [influxScript, "start"], { env, maxBuffer: 64 << 20 });
      process.stderr.write(started.stderr);
      stopFns.push(async () => {
        await run("bash", [influxScript, "stop"], { env });
      });
      const vars = parseExports(started.stdout);
      const url = vars.INFLUX_URL!;
      const token = vars.INFLUX_TOKEN!;
      const org = vars.INFLUX_ORG!;
      influx = { url, token, org, ...(await serverInfo(url, token, org)), origin: "started" };
    } else if (inCI) {
      throw new Error(`CI=true and no InfluxDB: INFLUX_URL/INFLUX_TOKEN/INFLUX_ORG unset and ${missing}`);
    }
  }

  if (influx) {
    console.log(
      `\n>>> Integration tests run against InfluxDB ${influx.version} at ${influx.url} (${influx.origin})\n`,
    );
  } else {
    console.warn(
      "\n!!! SKIPPING INTEGRATION TESTS: no InfluxDB 2.x. Set INFLUX_URL, INFLUX_TOKEN and INFLUX_ORG " +
        "to use your own server, or install Go and Rust so scripts/influxdb.sh can build influxd.\n",
    );
  }

  const prometheusBin = await findPrometheus();
  if (!prometheusBin && inCI)
    throw new Error("CI=true and no Prometheus binary (apt-get install prometheus)");
  if (!prometheusBin)
    console.warn("!!! No Prometheus binary: the tests that need it are skipped (apt-get install prometheus)");

  project.provide("influx", influx);
  project.provide("prometheusBin", prometheusBin);

  return async () => {
    for (const stop of stopFns) await stop();
  };
}
