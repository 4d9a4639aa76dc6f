// Every variable the product reads, by process and by group: the generated
// configuration table and the deployment tests (compose, Kubernetes) use it.
// Each group is declared beside the component it configures.
import { apiEnv, apiEnvGroups, apiRollupEnv } from "../api/config.js";
import { ingestEnv, ingesterEnvGroups, shardEnv } from "../ingest/config.js";
import { notifyEnv } from "../ingest/notify/config.js";
import { edgeEnv } from "../ingest/replicate/config.js";
import { rollupEnv } from "../ingest/rollup/config.js";
import { sinkEnv } from "../ingest/sink/config.js";
import { influxEnv, logEnv } from "../shared/config/index.js";
import { simulatorEnv, simulatorEnvGroups } from "../simulator/config.js";

/** What each process reads (its entry point reads the same groups). */
export const processEnvGroups = {
  simulator: simulatorEnvGroups,
  ingest: ingesterEnvGroups,
  api: apiEnvGroups,
} as const;

/** Each variable once, under the group the table shows it in. */
export const allEnvGroups = {
  influx: influxEnv,
  log: logEnv,
  simulator: simulatorEnv,
  ingest: ingestEnv,
  ingestSink: sinkEnv,
  ingestNotify: notifyEnv,
  api: apiEnv,
  ingestShard: shardEnv,
  rollup: rollupEnv,
  edge: edgeEnv,
  apiRollup: { after: apiRollupEnv.after },
} as const;
