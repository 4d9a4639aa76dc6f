// Serves a prom-client registry at /metrics, and optionally a health check at
// /healthz, over plain node:http, for processes (the ingester) that have no
// HTTP framework of their own.
import { type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";

export interface MetricsServer {
  readonly port: number;
  close(): Promise<void>;
}

export interface Health {
  ok: boolean;
  [detail: string]: unknown;
}

export async function startMetricsServer(
  registry: Registry,
  { port = 0, host = "127.0.0.1", health }: { port?: number; host?: string; health?: () => Health } = {},
): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "").split("?")[0];
    if (req.method === "GET" && path === "/healthz" && health) {
      const h = health();
      res.writeHead(h.ok ? 200 : 503, { "Content-Type": "application/json" }).end(JSON.stringify(h));
      return;
    }
    if (req.method !== "GET" || path !== "/metrics") {
      res.writeHead(404, { "Content-Type": "application/json" }).end(JSON.stringify({ error: "not found" }));
      return;
    }
    registry.metrics().then(
      (body) => res.writeHead(200, { "Content-Type": registry.contentType }).end(body),
      (err: unknown) =>
        res
          .writeHead(500, { "Content-Type": "application/json" })
          .end(JSON.stringify({ error: String(err) })),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}
