// HTTPS end to end for the API: the real API process serves a dev
// certificate (scripts/dev-certs.sh) and reads InfluxDB over HTTPS through a
// TLS-terminating proxy, trusting the dev CA by INFLUX_CA_FILE or by Node's
// NODE_EXTRA_CA_CERTS. Clients with the CA get through; without it, a
// certificate error.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { freePort } from "../../shared/net/free-port.js";
import { describeWithInflux, influxServer, useTestBucket } from "../support/influx.js";
import { type ServiceProcess, startService } from "../support/processes.js";
import { type TlsProxy, devCerts, httpsGet, startTlsProxy } from "../support/tls-proxy.js";

const bucket = useTestBucket(import.meta.url);
let dir: string;
let certs: Awaited<ReturnType<typeof devCerts>>;
let proxy: TlsProxy;
const apis: ServiceProcess[] = [];

/** Node's errors for a server certificate it cannot trust. */
const CERT_ERRORS = [
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
];

beforeAll(async () => {
  if (!influxServer) return;
  dir = await mkdtemp(join(tmpdir(), "tls-api-"));
  certs = await devCerts(join(dir, "certs"));
  proxy = await startTlsProxy(influxServer.url, certs.cert, certs.key);
});

afterAll(async () => {
  for (const api of apis) await api.stop("SIGKILL");
  await proxy?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function startApi(env: Record<string, string>): Promise<{ url: string; proc: ServiceProcess }> {
  const b = bucket.current;
  const port = await freePort();
  const proc = startService("api/main.ts", {
    API_PORT: String(port),
    API_HOST: "127.0.0.1",
    API_KEYS_FILE: join(dir, "no-keys.json"),
    API_TLS_CERT: certs.cert,
    API_TLS_KEY: certs.key,
    API_QUERY_TIMEOUT_MS: "3000",
    INFLUX_URL: `https://localhost:${proxy.port}`,
    INFLUX_TOKEN: b.server.token,
    INFLUX_ORG: b.server.org,
    INFLUX_BUCKET: b.name,
    LOG_LEVEL: "info",
    ...env,
  });
  apis.push(proc);
  await proc.waitForLog((l) => l.msg === "api started");
  return { url: `https://localhost:${port}`, proc };
}

async function tlsError(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? String(err);
  }
  return "no error";
}

describeWithInflux("HTTPS: the API", () => {
  it("dev-certs.sh is idempotent: a second run keeps the same files", async () => {
    const before = await readFile(certs.cert, "utf8");
    const again = await devCerts(join(dir, "certs"));
    expect(again.stdout).toContain("up to date");
    expect(await readFile(certs.cert, "utf8")).toBe(before);
  });

  it("is reached with the dev CA and refused without it; it reads InfluxDB over HTTPS with INFLUX_CA_FILE", async () => {
    const { url } = await startApi({ INFLUX_CA_FILE: certs.ca });
    expect(url.startsWith("https://")).toBe(true);
    const health = await httpsGet(`${url}/healthz`, certs.ca);
    expect(health.status).toBe(200);
    // The certificate names 127.0.0.1 too.
    expect((await httpsGet(`${url.replace("localhost", "127.0.0.1")}/healthz`, certs.ca)).status).toBe(200);
    expect(CERT_ERRORS).toContain(await tlsError(httpsGet(`${url}/healthz`)));
    const ready = await httpsGet(`${url}/readyz`, certs.ca);
    expect(ready).toEqual({ status: 200, body: JSON.stringify({ status: "ready" }) });
  });

  it("without the CA for InfluxDB it is not ready; NODE_EXTRA_CA_CERTS works as well as INFLUX_CA_FILE", async () => {
    const errorsBefore = proxy.handshakeErrors.length;
    const untrusting = await startApi({ INFLUX_CA_FILE: "" });
    const notReady = await httpsGet(`${untrusting.url}/readyz`, certs.ca);
    expect(notReady.status).toBe(503);
    // The proxy saw the API refuse its certificate: the failure is TLS, not InfluxDB.
    expect(proxy.handshakeErrors.length).toBeGreaterThan(errorsBefore);

    const extra = await startApi({ NODE_EXTRA_CA_CERTS: certs.ca });
    expect((await httpsGet(`${extra.url}/readyz`, certs.ca)).status).toBe(200);
  });
});
