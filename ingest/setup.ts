// What the ingester's configuration means beyond its variables: the shard it
// owns, the rollup plan, the anomaly rules, the webhook endpoints and the
// replication to a central InfluxDB. Every
// problem is collected, so one start-up names them all (a ConfigError).
import { ConfigError } from "../shared/config/index.js";
import { type WebhookEndpoint, loadEndpoints } from "./notify/index.js";
import { type ReplicationPlan, replicationPlan } from "./replicate/ensure.js";
import { type RollupPlan, rollupPlan } from "./rollup/ensure.js";
import { type Shard, resolveShard } from "./shard.js";
import type { RulesConfig } from "./transforms/anomaly-rules.js";
import { loadRules } from "./transforms/rules-config.js";
import type { IngesterConfig } from "./config.js";

export interface IngesterSetup {
  shard: Shard;
  rollup: RollupPlan;
  rules: RulesConfig;
  /** Empty: no webhooks. */
  endpoints: WebhookEndpoint[];
  /** Undefined: no replication to a central InfluxDB. */
  replication: ReplicationPlan | undefined;
}

/** Resolves the setup, or throws one ConfigError listing every problem found. */
export function resolveSetup(cfg: IngesterConfig, env: NodeJS.ProcessEnv = process.env): IngesterSetup {
  const problems: string[] = [];
  const attempt = <T>(read: () => T): T | undefined => {
    try {
      return read();
    } catch (err) {
      problems.push((err as Error).message);
      return undefined;
    }
  };
  const shard = attempt(() => resolveShard(cfg.shard, env));
  const rollup = attempt(() => rollupPlan(cfg.influx, cfg.rollup));
  const rules = attempt(() => loadRules(cfg.ingest.rulesFile));
  const endpoints = attempt(() => loadEndpoints(cfg.notify.webhooksFile));
  const replication = attempt(() => ({ plan: replicationPlan(cfg.influx, cfg.edge) }));
  if (problems.length > 0 || !shard || !rollup || !rules || !endpoints || !replication)
    throw new ConfigError(problems);
  return { shard, rollup, rules, endpoints, replication: replication.plan };
}
