// The repo's Prometheus config (prometheus/prometheus.yml, written for docker
// compose) made runnable outside Docker: each job's targets replaced by local
// addresses, rule files made absolute. `npm run stack` and the tests use it,
// so the config they run is the one compose mounts.
import { accessSync, constants, readFileSync } from "node:fs";
import { delimiter, isAbsolute, join, resolve } from "node:path";
import { parse, stringify } from "yaml";

export const prometheusDir = resolve(import.meta.dirname, "..", "prometheus");
export const prometheusConfigPath = join(prometheusDir, "prometheus.yml");

interface ScrapeConfig {
  job_name: string;
  static_configs?: { targets: string[] }[];
  [key: string]: unknown;
}
interface PrometheusConfig {
  global?: Record<string, unknown>;
  rule_files?: string[];
  scrape_configs: ScrapeConfig[];
  [key: string]: unknown;
}

export function loadPrometheusConfig(): PrometheusConfig {
  return parse(readFileSync(prometheusConfigPath, "utf8")) as PrometheusConfig;
}

/**
 * The repo's config with `targets` (job name -> host:port) substituted. Every
 * job must get a target: a forgotten one would keep a compose host name.
 */
export function renderPrometheusConfig(
  targets: Record<string, string>,
  { scrapeInterval }: { scrapeInterval?: string } = {},
): string {
  const config = loadPrometheusConfig();
  const jobs = config.scrape_configs.map((c) => c.job_name);
  for (const job of Object.keys(targets))
    if (!jobs.includes(job)) throw new Error(`prometheus.yml has no job ${job} (jobs: ${jobs.join(", ")})`);
  for (const scrape of config.scrape_configs) {
    const target = targets[scrape.job_name];
    if (!target) throw new Error(`no local target given for job ${scrape.job_name}`);
    scrape.static_configs = [{ targets: [target] }];
  }
  config.rule_files = (config.rule_files ?? []).map((f) => (isAbsolute(f) ? f : join(prometheusDir, f)));
  if (scrapeInterval) {
    config.global = { ...config.global, scrape_interval: scrapeInterval, scrape_timeout: scrapeInterval };
    config.global.evaluation_interval = scrapeInterval;
  }
  return stringify(config);
}

/** First executable `name` on PATH (or the given override), else null. */
export function findExecutable(name: string, override?: string): string | null {
  const candidates = override
    ? [override]
    : (process.env.PATH ?? "").split(delimiter).map((d) => join(d, name));
  for (const path of candidates) {
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not here
    }
  }
  return null;
}
