// Container health check: `node dist/scripts/stack-healthcheck.js [url]`.
// With a URL, healthy when it answers 2xx. Without one (the image's
// HEALTHCHECK, one image for every service), it probes the health endpoint of
// each service on its configured port: a container runs one of them, and the
// others' ports are closed, so "any answers 2xx" is that service's health.
import { apiEnv } from "../api/config.js";
import { ingestEnv } from "../ingest/config.js";
import { readEnv } from "../shared/config/index.js";
import { simulatorEnv } from "../simulator/config.js";

function defaultUrls(): string[] {
  const api = readEnv(apiEnv);
  const ingest = readEnv(ingestEnv);
  const sim = readEnv(simulatorEnv);
  const scheme = api.tlsCert && api.tlsKey ? "https" : "http";
  return [
    `${scheme}://127.0.0.1:${api.port}/healthz`,
    `http://127.0.0.1:${ingest.metricsPort}/healthz`,
    `http://127.0.0.1:${sim.port}/_sim/config`,
  ];
}

async function healthy(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}

const urls = process.argv[2] ? [process.argv[2]] : defaultUrls();
const results = await Promise.all(urls.map(healthy));
process.exit(results.some(Boolean) ? 0 : 1);
