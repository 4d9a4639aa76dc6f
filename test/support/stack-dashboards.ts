// Reads the provisioned Grafana files (datasources, dashboard JSON) and pulls
// out every query they hold, so tests can check them against real servers.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";

export const repo = join(import.meta.dirname, "..", "..");
export const provisioningDir = join(repo, "grafana-provisioning");
export const dashboardsDir = join(provisioningDir, "dashboards", "json");

export interface DatasourceRef {
  type?: string;
  uid?: string;
}

export interface ProvisionedDatasource {
  name: string;
  uid: string;
  type: string;
  url: string;
  jsonData?: Record<string, unknown>;
  secureJsonData?: Record<string, unknown>;
}

/** One query of a dashboard, with where it sits (for failure messages). */
export interface DashboardQuery {
  dashboard: string;
  where: string;
  datasource: DatasourceRef | undefined;
  /** "flux" (InfluxDB datasource) or "promql" (Prometheus datasource). */
  language: "flux" | "promql";
  text: string;
}

export interface Dashboard {
  file: string;
  uid: string;
  title: string;
  json: Record<string, unknown>;
}

export function loadDatasources(): ProvisionedDatasource[] {
  const dir = join(provisioningDir, "datasources");
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .flatMap((f) => {
      const doc = parse(readFileSync(join(dir, f), "utf8")) as { datasources?: ProvisionedDatasource[] };
      return doc.datasources ?? [];
    });
}

export function loadDashboards(): Dashboard[] {
  return readdirSync(dashboardsDir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => {
      const json = JSON.parse(readFileSync(join(dashboardsDir, f), "utf8")) as Record<string, unknown>;
      return { file: f, uid: String(json.uid), title: String(json.title), json };
    });
}

interface Target {
  refId?: string;
  datasource?: DatasourceRef;
  query?: string;
  expr?: string;
}
interface Panel {
  title?: string;
  datasource?: DatasourceRef;
  targets?: Target[];
  panels?: Panel[];
}

/** Every panel, including those nested in rows. */
export function panelsOf(dashboard: Dashboard): Panel[] {
  const out: Panel[] = [];
  const walk = (list: Panel[] | undefined) => {
    for (const p of list ?? []) {
      out.push(p);
      walk(p.panels);
    }
  };
  walk(dashboard.json.panels as Panel[] | undefined);
  return out;
}

export interface Variable {
  name: string;
  type: string;
  datasource?: DatasourceRef;
  query?: string | { query?: string };
  allValue?: string;
}
export function variablesOf(dashboard: Dashboard): Variable[] {
  return ((dashboard.json.templating as { list?: Variable[] } | undefined)?.list ?? []).filter(
    (v) => v.type === "query",
  );
}

export interface Annotation {
  name: string;
  builtIn?: number;
  datasource?: DatasourceRef;
  target?: Target;
  query?: string;
  expr?: string;
}
export function annotationsOf(dashboard: Dashboard): Annotation[] {
  return ((dashboard.json.annotations as { list?: Annotation[] } | undefined)?.list ?? []).filter(
    (a) => !a.builtIn,
  );
}

function languageOf(ds: DatasourceRef | undefined, all: ProvisionedDatasource[]): "flux" | "promql" {
  const type = ds?.type ?? all.find((d) => d.uid === ds?.uid)?.type;
  if (type === "influxdb") return "flux";
  if (type === "prometheus") return "promql";
  throw new Error(`unknown datasource ${JSON.stringify(ds)}`);
}

/** Every query of every panel target, query variable and annotation, in file order. */
export function queriesOf(dashboard: Dashboard, datasources = loadDatasources()): DashboardQuery[] {
  const out: DashboardQuery[] = [];
  const add = (where: string, datasource: DatasourceRef | undefined, text: string | undefined) => {
    if (!text) throw new Error(`${dashboard.file}: ${where} has no query text`);
    out.push({
      dashboard: dashboard.file,
      where,
      datasource,
      language: languageOf(datasource, datasources),
      text,
    });
  };
  for (const p of panelsOf(dashboard))
    for (const t of p.targets ?? [])
      add(`panel "${p.title}" ${t.refId}`, t.datasource ?? p.datasource, t.query ?? t.expr);
  for (const v of variablesOf(dashboard))
    add(`variable ${v.name}`, v.datasource, typeof v.query === "string" ? v.query : v.query?.query);
  for (const a of annotationsOf(dashboard))
    add(
      `annotation "${a.name}"`,
      a.target?.datasource ?? a.datasource,
      a.target?.query ?? a.target?.expr ?? a.query ?? a.expr,
    );
  return out;
}

/** Every datasource reference of a dashboard: panels, targets, variables, annotations. */
export function datasourceRefsOf(dashboard: Dashboard): { where: string; ref: DatasourceRef | undefined }[] {
  const out: { where: string; ref: DatasourceRef | undefined }[] = [];
  for (const p of panelsOf(dashboard)) {
    if (p.targets) out.push({ where: `panel "${p.title}"`, ref: p.datasource });
    for (const t of p.targets ?? []) out.push({ where: `panel "${p.title}" ${t.refId}`, ref: t.datasource });
  }
  for (const v of variablesOf(dashboard)) out.push({ where: `variable ${v.name}`, ref: v.datasource });
  for (const a of annotationsOf(dashboard)) {
    out.push({ where: `annotation "${a.name}"`, ref: a.datasource });
    if (a.target?.datasource) out.push({ where: `annotation "${a.name}" target`, ref: a.target.datasource });
  }
  return out;
}

/** Grafana's `${name:regex}` / `${name}` / `$name` template variables in a query. */
export function templateVariables(text: string): string[] {
  const names = new Set<string>();
  for (const m of text.matchAll(/\$\{([A-Za-z_]\w*)(?::\w+)?\}|\$([A-Za-z_]\w*)/g)) {
    const name = m[1] ?? m[2]!;
    if (!name.startsWith("__")) names.add(name);
  }
  return [...names];
}

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

/**
 * Replaces template variables as Grafana does: a value list in `:regex`
 * format becomes `(a|b)` (escaped), a single value itself; `allValue` (".*")
 * stands for All.
 */
export function substituteVariables(text: string, values: Record<string, string[] | "all">): string {
  return text.replace(
    /\$\{([A-Za-z_]\w*)(?::(\w+))?\}|\$([A-Za-z_]\w*)/g,
    (whole, a?: string, format?: string, b?: string) => {
      const name = (a ?? b)!;
      if (name.startsWith("__")) return whole;
      const value = values[name];
      if (value === undefined) throw new Error(`no value for template variable ${name}`);
      if (value === "all") return ".*";
      if (format === "regex")
        return value.length === 1 ? escapeRegex(value[0]!) : `(${value.map(escapeRegex).join("|")})`;
      return value.join(",");
    },
  );
}
