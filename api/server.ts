// startApi(): the API as a listening server, from configuration values. The
// process (main.ts) and in-process tests both use it.
import { readFileSync } from "node:fs";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import {
  type IncomingMessage,
  type Server,
  type ServerResponse,
  createServer as createHttpServer,
} from "node:http";
import { RequestError, getRequestListener } from "@hono/node-server";
import { type ConfigOf, type influxEnv, rollupBucketName } from "../shared/config/index.js";
import type { apiEnv, apiRollupEnv } from "./config.js";
import { createInfluxClient } from "../shared/influx/client.js";
import type { Logger } from "../shared/log.js";
import { createApp } from "./app.js";
import {
  MAX_HEADER_BYTES,
  answerHttpLayer,
  refuseMissingHost,
  requestErrorResponse,
} from "./client-error.js";
import { loadKeyStore } from "./auth/keys.js";
import { createQueryRunner } from "./flux/run.js";
import { createApiMetrics } from "./metrics.js";
import { parseDurationMs } from "./time-range.js";

export interface RunningApi {
  readonly url: string;
  readonly port: number;
  readonly keys: number;
  close(timeoutMs?: number): Promise<void>;
}

export interface ApiConfig {
  influx: ConfigOf<typeof influxEnv>;
  api: ConfigOf<typeof apiEnv>;
  /** Long ranges read the hourly rollup; absent = raw data only. */
  rollup?: ConfigOf<typeof apiRollupEnv>;
}

/**
 * The header limit, set explicitly (api/client-error.ts); no Host check by
 * Node, whose own 400 has no body: the listener refuses a missing Host itself,
 * in JSON (refuseMissingHost).
 */
const HTTP_OPTIONS = { maxHeaderSize: MAX_HEADER_BYTES, requireHostHeader: false };

export async function startApi(cfg: ApiConfig, log: Logger, now?: () => number): Promise<RunningApi> {
  const keys = await loadKeyStore(cfg.api.keysFile, cfg.api.keys);
  if (keys.size === 0)
    log.warn({ keysFile: cfg.api.keysFile }, "no API keys configured: every data request will get 401");
  // The API's own client: the query timeout bounds every InfluxDB call.
  const influx = createInfluxClient({ ...cfg.influx, timeoutMs: cfg.api.queryTimeoutMs });
  const app = createApp({
    flux: {
      runner: createQueryRunner(influx, cfg.influx.org, cfg.api.queryTimeoutMs),
      bucket: cfg.influx.bucket,
      ...(cfg.rollup
        ? {
            rollup: {
              bucket: rollupBucketName(cfg.influx.bucket, cfg.rollup.bucket),
              afterMs: parseDurationMs(cfg.rollup.after)!,
            },
          }
        : {}),
    },
    keys,
    limits: {
      maxPoints: cfg.api.maxPoints,
      maxRangeMs: cfg.api.maxRangeDays * 86_400_000,
      deviceLookbackMs: parseDurationMs(cfg.api.deviceLookback)!,
    },
    rateLimitPerMin: cfg.api.rateLimitPerMin,
    metrics: createApiMetrics(),
    log,
    ...(now ? { now } : {}),
  });

  const tls = Boolean(cfg.api.tlsCert && cfg.api.tlsKey);
  if (Boolean(cfg.api.tlsCert) !== Boolean(cfg.api.tlsKey))
    throw new Error("API_TLS_CERT and API_TLS_KEY must be set together");
  // @hono/node-server's listener on a node:http(s) server of our own (what its serve() does),
  // so that its errorHandler and the server's clientError answer in the error model too.
  const handle = getRequestListener(app.fetch, {
    hostname: cfg.api.host,
    errorHandler: (err) => {
      if (!(err instanceof RequestError)) log.error({ err }, "request failed outside the app");
      return requestErrorResponse(err);
    },
  });
  // The listener settles its own errors (errorHandler above): node:http wants a void callback.
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    if (!refuseMissingHost(req, res)) void handle(req, res);
  };
  const server: Server = tls
    ? createHttpsServer(
        {
          ...HTTP_OPTIONS,
          cert: readFileSync(cfg.api.tlsCert),
          key: readFileSync(cfg.api.tlsKey),
        },
        listener,
      )
    : createHttpServer(HTTP_OPTIONS, listener);
  answerHttpLayer(server);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(cfg.api.port, cfg.api.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  // Slow clients must not hold sockets forever.
  server.headersTimeout = 15_000;
  server.requestTimeout = 30_000;
  const { port } = server.address() as AddressInfo;
  const host = cfg.api.host === "0.0.0.0" || cfg.api.host === "::" ? "127.0.0.1" : cfg.api.host;
  let closing: Promise<void> | undefined;
  return {
    url: `${tls ? "https" : "http"}://${host.includes(":") ? `[${host}]` : host}:${port}`,
    port,
    keys: keys.size,
    close(timeoutMs = 10_000) {
      closing ??= new Promise<void>((resolve) => {
        // Finish requests in flight, drop idle keep-alive sockets, force the rest after the timeout.
        // Not unref'd: it keeps the process alive until the close is done, so
        // shutdown always gets to log "stopped" and exit on its own terms.
        const force = setTimeout(() => server.closeAllConnections(), timeoutMs);
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}
