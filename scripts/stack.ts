// `npm run stack`: the docker compose stack on a machine without Docker. A
// local InfluxDB (scripts/influxdb.sh), the simulator (realistic, anomalies),
// the ingester, the API with fresh demo keys, and Prometheus when installed
// (the repo's prometheus.yml, targets substituted). Prints every URL, the
// keys and the log folder; Ctrl-C stops everything, influxd included.
import { execFile } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { parseArgs, promisify } from "node:util";
import { generateKey, hashKey } from "../api/auth/keys.js";
import { type Child, pickPort, startChild, waitHealthy } from "./stack-processes.js";
import { findExecutable, renderPrometheusConfig } from "./stack-prometheus.js";

const run = promisify(execFile);
const repo = resolve(import.meta.dirname, "..");
const influxScript = join(repo, "scripts", "influxdb.sh");

const USAGE = `Usage: npm run stack -- [--dir .local/stack] [--time-scale 1] [--anomaly-rate 0.02] [--no-prometheus]
  --dir           state folder: logs, spool, Prometheus data (default .local/stack; emptied at start)
  --time-scale    simulated minutes per wall-clock minute (default 1; above 1 the data runs ahead of now)
  --anomaly-rate  simulator's anomaly rate (default 0.02, a visible demo)
  --no-prometheus do not start Prometheus even when installed`;

const { values: flags } = parseArgs({
  options: {
    dir: { type: "string" },
    "time-scale": { type: "string" },
    "anomaly-rate": { type: "string" },
    "no-prometheus": { type: "boolean" },
    help: { type: "boolean" },
  },
});
if (flags.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

const say = (line: string) => process.stdout.write(`[stack] ${line}\n`);
// Ctrl-C also ends npm and its shell, which may close our stdout: the
// clean-up below must still run to the end.
process.stdout.on("error", () => undefined);
const dir = resolve(flags.dir ?? join(repo, ".local", "stack"));
const logs = join(dir, "logs");
const influxEnv = { ...process.env, INFLUXDB_STATE_FILE: join(dir, "influxdb.env") };
const children: Child[] = [];
let influxStarted = false;
let stopping: Promise<void> | undefined;

function exportsOf(stdout: string): Record<string, string> {
  return Object.fromEntries(
    [...stdout.matchAll(/^export ([A-Z_]+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!.replace(/^'(.*)'$/, "$1")]),
  );
}

/** Stops the children in reverse start order, then influxd; idempotent. */
function stopAll(reason: string, code: number): Promise<void> {
  stopping ??= (async () => {
    say(`stopping (${reason})...`);
    for (const child of [...children].reverse()) {
      const result = await child.stop(25_000);
      say(`  ${child.name} exited (${result})`);
    }
    if (influxStarted) {
      await run("bash", [influxScript, "stop"], { env: influxEnv }).catch((err: unknown) =>
        say(`  influxd stop failed: ${(err as Error).message}`),
      );
      say("  influxd stopped, its data removed");
    }
    say("stopped");
    process.exit(code);
  })();
  return stopping;
}
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const)
  process.on(signal, () => void stopAll(signal, 0));

const used = new Set<number>();
async function port(preferred: number): Promise<number> {
  for (;;) {
    const p = await pickPort(used.has(preferred) ? 0 : preferred);
    if (!used.has(p)) {
      used.add(p);
      return p;
    }
  }
}

function node(name: string, entry: string, args: string[], env: Record<string, string>): Child {
  const child = startChild(name, process.execPath, ["--import", "tsx", join(repo, entry), ...args], {
    cwd: repo,
    env: { ...process.env, ...env },
    log: join(logs, `${name}.log`),
  });
  children.push(child);
  // A service dying on its own takes the stack down, loudly.
  void child.exited.then((result) => {
    if (!stopping) void stopAll(`${name} exited (${result}); see ${child.log}`, 1);
  });
  return child;
}

async function main() {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(logs, { recursive: true });

  say("starting InfluxDB (scripts/influxdb.sh; the first run on a machine builds influxd)...");
  const started = await run("bash", [influxScript, "start"], { env: influxEnv, maxBuffer: 64 << 20 });
  influxStarted = true;
  writeFileSync(join(logs, "influxdb-start.log"), started.stderr);
  const influx = exportsOf(started.stdout);
  const state = readFileSync(influxEnv.INFLUXDB_STATE_FILE, "utf8");
  const influxdPid = /^INFLUXD_PID=(\d+)$/m.exec(state)?.[1];
  const influxdLog = /^INFLUXD_LOG=(.*)$/m.exec(state)?.[1];
  const influxVars = {
    INFLUX_URL: influx.INFLUX_URL!,
    INFLUX_TOKEN: influx.INFLUX_TOKEN!,
    INFLUX_ORG: influx.INFLUX_ORG!,
    INFLUX_BUCKET: influx.INFLUX_BUCKET!,
  };

  const simPort = await port(5001);
  const sim = node(
    "simulator",
    "simulator/main.ts",
    [
      "--port",
      String(simPort),
      "--host",
      "127.0.0.1",
      "--signal",
      "realistic",
      "--anomaly-rate",
      flags["anomaly-rate"] ?? "0.02",
      "--time-scale",
      flags["time-scale"] ?? "1",
    ],
    {},
  );
  const simUrl = `http://127.0.0.1:${simPort}`;
  await waitHealthy(`${simUrl}/_sim/config`, sim, 30_000);

  const ingestPort = await port(9464);
  const ingest = node("ingest", "ingest/main.ts", [], {
    ...influxVars,
    IOT_API_URL: simUrl,
    // Every 10 s, so a demo fills up quickly.
    INGEST_CRON: "*/10 * * * * *",
    INGEST_SPOOL_DIR: join(dir, "spool"),
    INGEST_METRICS_PORT: String(ingestPort),
    INGEST_METRICS_HOST: "127.0.0.1",
  });
  const ingestUrl = `http://127.0.0.1:${ingestPort}`;

  // Fresh development keys for this run only; the API keeps their hashes.
  const clientKey = generateKey();
  const adminKey = generateKey();
  const apiPort = await port(8080);
  const api = node("api", "api/main.ts", [], {
    ...influxVars,
    API_PORT: String(apiPort),
    API_HOST: "127.0.0.1",
    API_KEYS: `client_1:${hashKey(clientKey)},admin:demo:${hashKey(adminKey)}`,
    API_KEYS_FILE: join(dir, "no-keys-file.json"),
  });
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  // /healthz of the ingester answers 200 once its first cycle is done.
  await waitHealthy(`${ingestUrl}/healthz`, ingest, 60_000);
  await waitHealthy(`${apiUrl}/readyz`, api, 30_000);

  let prometheusLine = "not installed (apt-get install prometheus), skipped";
  const prometheusBin = flags["no-prometheus"]
    ? null
    : findExecutable("prometheus", process.env.PROMETHEUS_BIN);
  if (flags["no-prometheus"]) prometheusLine = "skipped (--no-prometheus)";
  if (prometheusBin) {
    const promPort = await port(9090);
    const config = join(dir, "prometheus.yml");
    writeFileSync(
      config,
      renderPrometheusConfig(
        {
          ingest: `127.0.0.1:${ingestPort}`,
          api: `127.0.0.1:${apiPort}`,
          prometheus: `127.0.0.1:${promPort}`,
        },
        { scrapeInterval: "5s" },
      ),
    );
    const prom = startChild(
      "prometheus",
      prometheusBin,
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${join(dir, "prometheus-data")}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
      ],
      { cwd: dir, env: process.env, log: join(logs, "prometheus.log") },
    );
    children.push(prom);
    void prom.exited.then((r) => {
      if (!stopping) void stopAll(`prometheus exited (${r}); see ${prom.log}`, 1);
    });
    await waitHealthy(`http://127.0.0.1:${promPort}/-/ready`, prom, 30_000);
    prometheusLine = `http://127.0.0.1:${promPort}  (pid ${prom.proc.pid}, targets: /targets)`;
  }

  const rel = (p: string) => (relative(process.cwd(), p).startsWith("..") ? p : relative(process.cwd(), p));
  const lines = [
    "ready:",
    `  InfluxDB    ${influxVars.INFLUX_URL}  org ${influxVars.INFLUX_ORG}, bucket ${influxVars.INFLUX_BUCKET}, token ${influxVars.INFLUX_TOKEN} (pid ${influxdPid}, log ${influxdLog})`,
    `  Simulator   ${simUrl}/iot_objects  (pid ${sim.proc.pid})`,
    `  Ingester    ${ingestUrl}/metrics  (pid ${ingest.proc.pid})`,
    `  API         ${apiUrl}/docs  (pid ${api.proc.pid})`,
    `  Prometheus  ${prometheusLine}`,
    "  Grafana     not started natively: `docker compose up` provisions it from grafana-provisioning/",
    `  Demo API key (client_1, development only): ${clientKey}`,
    `  Demo admin key (development only): ${adminKey}`,
    `  Try         curl -H 'x-api-key: ${clientKey}' ${apiUrl}/v1/devices`,
    `  Logs        ${rel(logs)}/ (simulator.log, ingest.log, api.log, prometheus.log)`,
    "Ctrl-C stops everything.",
  ];
  for (const line of lines) say(line);
}

main().catch((err: unknown) => {
  say(`failed: ${(err as Error).message}`);
  void stopAll("start-up failed", 1);
});
