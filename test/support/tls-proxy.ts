// A TLS-terminating TCP proxy for tests: accepts TLS with the given
// certificate on a free loopback port and pipes the plain bytes to a target
// (InfluxDB, the simulator), so a plain-HTTP server can be reached over HTTPS.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { get } from "node:https";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { createServer } from "node:tls";

export interface TlsProxy {
  readonly port: number;
  /** Handshakes that failed (e.g. the client refused our certificate). */
  readonly handshakeErrors: string[];
  close(): Promise<void>;
}

export async function startTlsProxy(target: string, certFile: string, keyFile: string): Promise<TlsProxy> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<Socket>();
  const handshakeErrors: string[] = [];
  const server = createServer({ cert: readFileSync(certFile), key: readFileSync(keyFile) }, (client) => {
    const upstream = connect(Number(port), hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => s.destroy());
    }
    client.pipe(upstream).pipe(client);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  server.on("tlsClientError", (err) => handshakeErrors.push(err.message));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    handshakeErrors,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Runs scripts/dev-certs.sh into `dir`; resolves with the file paths. */
export async function devCerts(
  dir: string,
): Promise<{ ca: string; cert: string; key: string; stdout: string }> {
  const script = join(import.meta.dirname, "..", "..", "scripts", "dev-certs.sh");
  const stdout = await new Promise<string>((resolve, reject) =>
    execFile("bash", [script, dir], (err, out, errOut) =>
      err ? reject(new Error(errOut || err.message)) : resolve(out),
    ),
  );
  return { ca: join(dir, "ca.crt"), cert: join(dir, "server.crt"), key: join(dir, "server.key"), stdout };
}

/** GET over HTTPS trusting only `ca` (or Node's default bundle when undefined); rejects with Node's TLS error. */
export function httpsGet(url: string, ca?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = get(url, { ...(ca ? { ca: readFileSync(ca) } : {}), agent: false }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
  });
}
