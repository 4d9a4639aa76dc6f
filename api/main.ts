// The API process: reads its configuration, serves until SIGTERM/SIGINT, then
// lets requests in flight finish and exits 0.
import { readEnvGroupsOrExit } from "../shared/config/index.js";
import { apiEnvGroups } from "./config.js";
import { createLogger } from "../shared/log.js";
import { type RunningApi, startApi } from "./server.js";

const cfg = readEnvGroupsOrExit(apiEnvGroups);
const log = createLogger("api", cfg.log.level);

let api: RunningApi;
try {
  api = await startApi(cfg, log);
} catch (err) {
  // A bad keys file or TLS file is a configuration error: say which, no stack trace.
  process.stderr.write(`Cannot start the API: ${(err as Error).message}\n`);
  process.exit(1);
}
log.info({ url: api.url, keys: api.keys, influx: cfg.influx.url, bucket: cfg.influx.bucket }, "api started");

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, "stopping");
  await api.close(cfg.api.shutdownTimeoutMs);
  log.info("stopped");
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));
