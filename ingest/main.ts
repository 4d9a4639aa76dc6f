// The ingester process: reads its configuration, starts the ingester
// (ingester.ts) and runs it until SIGTERM/SIGINT, then finishes the cycle in
// flight, flushes and exits 0.
import { ConfigError, readEnvGroupsOrExit } from "../shared/config/index.js";
import { createLogger } from "../shared/log.js";
import { ingesterEnvGroups } from "./config.js";
import { type RunningIngester, startIngester } from "./ingester.js";

const cfg = readEnvGroupsOrExit(ingesterEnvGroups);
const log = createLogger("ingest", cfg.log.level);

let ingester: RunningIngester;
try {
  ingester = await startIngester(cfg, log);
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
}

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, "stopping: finishing the cycle in flight, then flushing");
  setTimeout(() => {
    log.warn("shutdown timed out: exiting; unsent points stay in the spool");
    process.exit(0);
  }, cfg.ingest.shutdownTimeoutMs).unref();
  await ingester.close(cfg.ingest.shutdownTimeoutMs);
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));
