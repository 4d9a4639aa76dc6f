// The Kubernetes manifests (k8s/base/, and the two tiers' overlays k8s/edge/
// and k8s/central/ as `kubectl kustomize` renders them): every document validates against the
// Kubernetes schemas carried by kubernetes-models, and the things the schemas
// cannot know hold too: resources and probes on every container, Services
// that select real pods on real ports, env names the code reads, references
// to existing Secret/ConfigMap keys, and an ingester StatefulSet whose shard
// count matches its replicas.
/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-call --
   the manifests are untyped YAML walked by path; their types are what the schema validation checks */
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments, parse } from "yaml";
import * as appsV1 from "kubernetes-models/apps/v1";
import * as autoscalingV2 from "kubernetes-models/autoscaling/v2";
import * as batchV1 from "kubernetes-models/batch/v1";
import * as coreV1 from "kubernetes-models/v1";
import { deployedIngestNodeOptions } from "../../bench/scenarios/peer.js";
import { resolveShard } from "../../ingest/shard.js";
import { shardEnv } from "../../ingest/config.js";
import { replicationPlan } from "../../ingest/replicate/ensure.js";
import { rollupEnv } from "../../ingest/rollup/config.js";
import { allEnvGroups, processEnvGroups } from "../../scripts/config-catalog.js";
import { influxEnv, logEnv, readEnv, readEnvGroups } from "../../shared/config/index.js";

const k8sDir = join(import.meta.dirname, "..", "..", "k8s");
const dir = join(k8sDir, "base");
const PRODUCT_IMAGE = "iot-edge-cloud";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
type Obj = Record<string, any>;

interface Doc {
  file: string;
  obj: Obj;
}

const kustomization = parse(readFileSync(join(dir, "kustomization.yaml"), "utf8")) as Obj;
const docs: Doc[] = (kustomization.resources as string[]).flatMap((file) =>
  parseAllDocuments(readFileSync(join(dir, file), "utf8")).map((d) => {
    if (d.errors.length > 0) throw new Error(`${file}: ${d.errors.map((e) => e.message).join("; ")}`);
    return { file, obj: d.toJS() as Obj };
  }),
);
const ofKind = (kind: string) => docs.filter((d) => d.obj.kind === kind).map((d) => d.obj);
const named = (kind: string, name: string) => ofKind(kind).find((o) => o.metadata.name === name);
const workloads = [...ofKind("Deployment"), ...ofKind("StatefulSet")];
const containersOf = (w: Obj) => w.spec.template.spec.containers as Obj[];

/** The model class of a document, from its apiVersion and kind. */
const MODELS: Record<string, Record<string, unknown>> = {
  v1: coreV1,
  "apps/v1": appsV1,
  "autoscaling/v2": autoscalingV2,
  "batch/v1": batchV1,
};
function modelOf(obj: Obj): new (data: Obj) => { validate(): void } {
  const Model = MODELS[obj.apiVersion as string]?.[obj.kind as string];
  if (typeof Model !== "function") throw new Error(`no schema for ${obj.apiVersion} ${obj.kind}`);
  return Model as new (data: Obj) => { validate(): void };
}

/** Every variable the product reads, by name, and NODE_OPTIONS, which Node itself reads. */
const knownEnv = new Set([
  ...Object.values(allEnvGroups).flatMap((g) => Object.values(g).map((v: { name: string }) => v.name)),
  "NODE_OPTIONS",
]);

describe("k8s manifests", () => {
  it("kustomization lists every manifest file, and they hold the expected objects", () => {
    const files = readdirSync(dir).filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml");
    expect([...(kustomization.resources as string[])].sort()).toEqual(files.sort());
    const kinds = docs.map((d) => `${d.obj.kind}/${d.obj.metadata.name}`).sort();
    expect(kinds).toEqual(
      expect.arrayContaining([
        "StatefulSet/influxdb",
        "StatefulSet/ingest",
        "Deployment/api",
        "Service/api",
        "HorizontalPodAutoscaler/api",
        "Deployment/simulator",
        "Service/simulator",
        "Deployment/grafana",
        "Secret/iot-secrets",
      ]),
    );
  });

  it("every document validates against the Kubernetes schemas", () => {
    expect(docs.length).toBeGreaterThan(10);
    for (const { file, obj } of docs) {
      const Model = modelOf(obj);
      expect(() => new Model(obj).validate(), `${file}: ${obj.kind}/${obj.metadata?.name}`).not.toThrow();
    }
  });

  it("the schema check is real: a broken copy of a manifest fails it", () => {
    const api = structuredClone(named("Deployment", "api")!);
    api.spec.replicas = "two";
    expect(() => new appsV1.Deployment(api).validate()).toThrow(/replicas/);
    const svc = structuredClone(named("Service", "api")!);
    svc.spec.ports[0].port = 99999999999;
    expect(() => new coreV1.Service(svc).validate()).toThrow();
  });

  it("every container has cpu and memory requests and limits, and liveness and readiness probes", () => {
    expect(workloads.length).toBe(5);
    for (const w of workloads)
      for (const c of containersOf(w)) {
        const where = `${w.kind}/${w.metadata.name}/${c.name}`;
        for (const kind of ["requests", "limits"])
          for (const r of ["cpu", "memory"])
            expect(c.resources?.[kind]?.[r], `${where} ${kind}.${r}`).toBeDefined();
        expect(c.livenessProbe, `${where} liveness`).toBeDefined();
        expect(c.readinessProbe, `${where} readiness`).toBeDefined();
      }
  });

  it("probes: the API on /healthz (liveness) and /readyz (readiness), the ingester on /healthz", () => {
    const [api] = containersOf(named("Deployment", "api")!);
    expect(api!.livenessProbe.httpGet.path).toBe("/healthz");
    expect(api!.readinessProbe.httpGet.path).toBe("/readyz");
    const [ingest] = containersOf(named("StatefulSet", "ingest")!);
    for (const p of ["startupProbe", "livenessProbe", "readinessProbe"])
      expect(ingest![p].httpGet.path).toBe("/healthz");
  });

  it("every probe and Service targets a port a container declares", () => {
    for (const w of workloads)
      for (const c of containersOf(w)) {
        const ports = new Set((c.ports as Obj[]).flatMap((p) => [p.name, p.containerPort]));
        for (const p of ["startupProbe", "livenessProbe", "readinessProbe"])
          if (c[p]?.httpGet) expect(ports.has(c[p].httpGet.port), `${w.metadata.name} ${p}`).toBe(true);
      }
    for (const svc of ofKind("Service")) {
      const sel = svc.spec.selector as Record<string, string>;
      const matches = workloads.filter((w) =>
        Object.entries(sel).every(([k, v]) => w.spec.template.metadata.labels?.[k] === v),
      );
      expect(matches.length, `Service ${svc.metadata.name} selects pods`).toBe(1);
      const ports = new Set(
        containersOf(matches[0]!).flatMap((c) =>
          (c.ports as Obj[]).flatMap((p) => [p.name, p.containerPort]),
        ),
      );
      for (const p of svc.spec.ports as Obj[])
        expect(ports.has(p.targetPort), `Service ${svc.metadata.name} ${p.name}`).toBe(true);
    }
    // Workload selectors match their own pod labels (the API server would refuse otherwise).
    for (const w of workloads)
      for (const [k, v] of Object.entries(w.spec.selector.matchLabels as Record<string, string>))
        expect(w.spec.template.metadata.labels[k]).toBe(v);
  });

  it("the product's containers set only variables the code reads, and every referenced key exists", () => {
    const secret = named("Secret", "iot-secrets")!;
    const configMaps = Object.fromEntries(ofKind("ConfigMap").map((c) => [c.metadata.name, c]));
    let checked = 0;
    for (const w of workloads)
      for (const c of containersOf(w)) {
        const env = (c.env ?? []) as Obj[];
        for (const e of env) {
          const ref = e.valueFrom?.secretKeyRef ?? e.valueFrom?.configMapKeyRef;
          if (e.valueFrom?.secretKeyRef) {
            expect(ref.name).toBe("iot-secrets");
            expect(Object.keys(secret.stringData), `${w.metadata.name} ${e.name}`).toContain(ref.key);
          }
          if (e.valueFrom?.configMapKeyRef)
            expect(Object.keys(configMaps[ref.name]?.data ?? {}), `${w.metadata.name} ${e.name}`).toContain(
              ref.key,
            );
        }
        const fromMaps = ((c.envFrom ?? []) as Obj[]).flatMap((f) => {
          const map = configMaps[f.configMapRef?.name];
          expect(map, `${w.metadata.name} envFrom ${f.configMapRef?.name}`).toBeDefined();
          return Object.keys(map!.data);
        });
        if (!String(c.image).startsWith(PRODUCT_IMAGE)) continue;
        for (const name of [...env.map((e) => e.name as string), ...fromMaps]) {
          expect(knownEnv.has(name), `${w.metadata.name}: ${name} is not read by the code`).toBe(true);
          checked++;
        }
      }
    expect(checked).toBeGreaterThan(15);
  });

  it("the ingester StatefulSet: shard count = replicas, and each pod name gives its own shard index", () => {
    const sts = named("StatefulSet", "ingest")!;
    const [c] = containersOf(sts);
    const env = Object.fromEntries(
      (c!.env as Obj[]).filter((e) => "value" in e).map((e) => [e.name, e.value]),
    );
    expect(env.INGEST_SHARD_INDEX).toBeUndefined();
    const cfg = readEnv(shardEnv, env);
    expect(cfg.count).toBe(sts.spec.replicas);
    expect(cfg.fromHostname).toBe(true);
    const indexes = Array.from(
      { length: sts.spec.replicas as number },
      (_, i) => resolveShard(cfg, { ...env, HOSTNAME: `${sts.metadata.name}-${i}` }).index,
    );
    expect(indexes).toEqual([...indexes.keys()]);
    // A spool volume per pod, mounted where INGEST_SPOOL_DIR points.
    expect(sts.spec.volumeClaimTemplates.map((v: Obj) => v.metadata.name)).toContain("spool");
    expect(c!.volumeMounts.find((m: Obj) => m.name === "spool").mountPath).toBe(env.INGEST_SPOOL_DIR);
  });

  it("the ingester's heap ceiling is docker-compose.yml's (which the peer bench runs with) and fits its memory limit", () => {
    const [c] = containersOf(named("StatefulSet", "ingest")!);
    const nodeOptions = (c!.env as Obj[]).find((e) => e.name === "NODE_OPTIONS")?.value as string;
    expect(nodeOptions).toBe(deployedIngestNodeOptions());
    const heapMb = Number(/--max-old-space-size=(\d+)/.exec(nodeOptions)?.[1]);
    const limitMi = Number(/^(\d+)Mi$/.exec(c!.resources.limits.memory as string)?.[1]);
    // Old space plus young generation, code and Node's own (about 100 MB at start) stay under the limit.
    expect(heapMb + 150).toBeLessThanOrEqual(limitMi);
  });

  it("InfluxDB keeps its data on a volume claim; the API scales on CPU", () => {
    const influx = named("StatefulSet", "influxdb")!;
    const claim = influx.spec.volumeClaimTemplates[0];
    expect(containersOf(influx)[0]!.volumeMounts).toContainEqual({
      name: claim.metadata.name,
      mountPath: "/var/lib/influxdb2",
    });
    const hpa = named("HorizontalPodAutoscaler", "api")!;
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: "apps/v1", kind: "Deployment", name: "api" });
    expect(hpa.spec.metrics).toEqual([
      {
        type: "Resource",
        resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } },
      },
    ]);
  });

  it("Prometheus scrape annotations name a declared port on the product's pods", () => {
    for (const name of ["ingest", "api"]) {
      const w = workloads.find((x) => x.metadata.name === name)!;
      const a = w.spec.template.metadata.annotations as Record<string, string>;
      expect(a["prometheus.io/scrape"]).toBe("true");
      expect(a["prometheus.io/path"]).toBe("/metrics");
      const ports = containersOf(w).flatMap((c) => (c.ports as Obj[]).map((p) => String(p.containerPort)));
      expect(ports).toContain(a["prometheus.io/port"]);
    }
  });

  it("secrets are marked as development placeholders; Grafana mounts its provisioning ConfigMaps", () => {
    expect(readFileSync(join(dir, "secrets.yaml"), "utf8")).toMatch(/DEVELOPMENT PLACEHOLDERS/);
    const grafana = named("Deployment", "grafana")!;
    const maps = (grafana.spec.template.spec.volumes as Obj[]).map((v) => v.configMap?.name);
    expect(maps.sort()).toEqual(["grafana-dashboard-providers", "grafana-dashboards", "grafana-datasources"]);
    for (const m of maps) expect(named("ConfigMap", m), m).toBeDefined();
    // The starter dashboard is valid JSON.
    for (const [key, text] of Object.entries(
      named("ConfigMap", "grafana-dashboards")!.data as Record<string, string>,
    ))
      expect(() => JSON.parse(text) as unknown, key).not.toThrow();
  });
});

// The two tiers are kustomize overlays of the base; `kubectl kustomize` (kubectl's
// built-in kustomize, offline) renders them, and the result is checked like the base.
const kubectl = (() => {
  try {
    execFileSync("kubectl", ["version", "--client"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();
if (!kubectl)
  console.warn(
    "!!! No kubectl: the k8s/edge and k8s/central overlays are not rendered (checked statically only)",
  );

function render(overlay: string): Obj[] {
  const text = execFileSync("kubectl", ["kustomize", join(k8sDir, overlay)], { encoding: "utf8" });
  return parseAllDocuments(text).map((d) => d.toJS() as Obj);
}

/** Schema, known variables, and every referenced Secret/ConfigMap key present, over rendered objects. */
function checkRendered(objs: Obj[]) {
  for (const obj of objs) {
    const Model = modelOf(obj);
    expect(() => new Model(obj).validate(), `${obj.kind}/${obj.metadata?.name}`).not.toThrow();
  }
  const data = (kind: string, name: string) =>
    objs.find((o) => o.kind === kind && o.metadata.name === name)?.[
      kind === "Secret" ? "stringData" : "data"
    ] as Record<string, string> | undefined;
  const pods = objs.filter((o) => ["Deployment", "StatefulSet", "Job"].includes(o.kind as string));
  for (const w of pods)
    for (const c of w.spec.template.spec.containers as Obj[]) {
      const where = `${w.kind}/${w.metadata.name}/${c.name}`;
      for (const e of (c.env ?? []) as Obj[]) {
        if (String(c.image).startsWith(PRODUCT_IMAGE))
          expect(knownEnv.has(e.name), `${where}: ${e.name}`).toBe(true);
        const s = e.valueFrom?.secretKeyRef;
        if (s) expect(Object.keys(data("Secret", s.name) ?? {}), `${where}: ${e.name}`).toContain(s.key);
      }
      for (const f of (c.envFrom ?? []) as Obj[]) {
        const map = data("ConfigMap", f.configMapRef.name);
        expect(map, `${where}: envFrom ${f.configMapRef.name}`).toBeDefined();
        for (const k of Object.keys(map!)) expect(knownEnv.has(k), `${where}: ${k}`).toBe(true);
      }
      expect(c.resources?.limits?.memory, `${where}: limits`).toBeDefined();
    }
}

/** A container's environment as the pod would see it: its ConfigMaps, then its own values (Secrets as placeholders). */
function containerEnv(objs: Obj[], c: Obj): Record<string, string> {
  const env: Record<string, string> = {};
  for (const f of (c.envFrom ?? []) as Obj[])
    Object.assign(
      env,
      objs.find((o) => o.kind === "ConfigMap" && o.metadata.name === f.configMapRef.name)!.data,
    );
  for (const e of (c.env ?? []) as Obj[]) {
    const s = e.valueFrom?.secretKeyRef;
    env[e.name as string] = s
      ? (objs.find((o) => o.kind === "Secret" && o.metadata.name === s.name)!.stringData[s.key] as string)
      : (e.value as string);
  }
  return env;
}

describe.skipIf(!kubectl)("k8s/edge and k8s/central: the two tiers", () => {
  it("k8s/edge: one site's edge InfluxDB, simulator and ingester, which replicates to the central InfluxDB", () => {
    const objs = render("edge");
    const kinds = objs.map((o) => `${o.kind}/${o.metadata.name}`);
    expect(kinds).toEqual(
      expect.arrayContaining(["StatefulSet/influxdb", "StatefulSet/ingest", "Deployment/simulator"]),
    );
    for (const gone of ["Deployment/api", "HorizontalPodAutoscaler/api", "Deployment/grafana"])
      expect(kinds).not.toContain(gone);
    // Its own namespace: several sites in one cluster do not collide.
    expect(new Set(objs.map((o) => o.metadata.namespace ?? o.metadata.name))).toEqual(
      new Set(["iot-site-a"]),
    );
    checkRendered(objs);
    const sts = objs.find((o) => o.kind === "StatefulSet" && o.metadata.name === "ingest")!;
    const cfg = readEnvGroups(
      processEnvGroups.ingest,
      containerEnv(objs, sts.spec.template.spec.containers[0]),
    );
    expect(cfg.edge.site).toBe("site-a");
    expect(replicationPlan(cfg.influx, cfg.edge)).toMatchObject({
      central: { url: "http://influxdb.iot.svc.cluster.local:8086", bucket: "iot" },
    });
    expect(readFileSync(join(k8sDir, "edge", "edge-config.yaml"), "utf8")).toMatch(/DEVELOPMENT PLACEHOLDER/);
  });

  it("k8s/central: InfluxDB, API, Grafana and a Job that ensures the rollup; no simulator, no ingester", () => {
    const objs = render("central");
    const kinds = objs.map((o) => `${o.kind}/${o.metadata.name}`);
    expect(kinds).toEqual(
      expect.arrayContaining([
        "StatefulSet/influxdb",
        "Deployment/api",
        "Deployment/grafana",
        "Job/rollup-ensure",
      ]),
    );
    for (const gone of ["StatefulSet/ingest", "Deployment/simulator", "Service/simulator"])
      expect(kinds).not.toContain(gone);
    checkRendered(objs);
    const job = objs.find((o) => o.kind === "Job")!;
    expect(job.spec.template.spec.containers[0].command).toEqual([
      "node",
      "dist/ingest/rollup/cli.js",
      "--ensure",
    ]);
    const env = containerEnv(objs, job.spec.template.spec.containers[0]);
    expect(() => readEnvGroups({ influx: influxEnv, rollup: rollupEnv, log: logEnv }, env)).not.toThrow();
  });

  it("k8s/ builds the base, unchanged: the single-tier stack", () => {
    const objs = render(".");
    expect(objs.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(
      docs.map((d) => `${d.obj.kind}/${d.obj.metadata.name}`).sort(),
    );
  });
});
