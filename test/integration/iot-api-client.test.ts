// The source stage against small real HTTP servers that behave like
// upstreams the simulator does not imitate: only /iot_data/{id}, retries and
// their limits, timeouts.
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { IotApiClient, UpstreamError } from "../../ingest/source/iot-api-client.js";
import type { Device } from "../../ingest/source/responses.js";

const device: Device = { id: "device_1", client: "client_1", type: "temperature_sensor" };
const reading = {
  id: "device_1",
  client: "client_1",
  type: "temperature_sensor",
  metrics: { temperature: 21.5, humidity: null, battery_level: 80, activity_level: null },
  timestamp: "2026-11-26T10:00:00.123456",
};

let server: Server | undefined;
afterEach(async () => {
  if (!server) return;
  server.closeAllConnections();
  await new Promise((r) => server!.close(r));
  server = undefined;
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const paths: string[] = [];
  server = createServer((req, res) => {
    paths.push(req.url ?? "");
    handler(req, res);
  });
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new IotApiClient({
    baseUrl: url,
    timeoutMs: 300,
    retries: 2,
    retryBaseDelayMs: 1,
    timeZone: "UTC",
  });
  return { client, paths };
}

const json = (res: ServerResponse, status: number, body: unknown) =>
  res.writeHead(status, { "Content-Type": "application/json" }).end(JSON.stringify(body));

describe("IotApiClient against real HTTP servers", () => {
  it("finds the current reading at /iot_data/{id} when /iot_objects/{id} is not a route, and remembers", async () => {
    const { client, paths } = await serve((req, res) => {
      if (req.url === "/iot_data/device_1") json(res, 200, reading);
      else res.writeHead(404, { "Content-Type": "text/html" }).end("<h1>Not Found</h1>");
    });
    const first = await client.current(device);
    const second = await client.current(device);
    expect(first.samples.map((s) => [s.metric, s.value, s.timeUs])).toEqual([
      ["battery_level", 80, Date.UTC(2026, 10, 26, 10) * 1000 + 123456],
    ]);
    expect(second.samples).toHaveLength(1);
    expect(paths).toEqual(["/iot_objects/device_1", "/iot_data/device_1", "/iot_data/device_1"]);
  });

  it("treats a JSON 404 as the device being gone, without trying the other path", async () => {
    const { client, paths } = await serve((_req, res) => json(res, 404, { error: "Device not found" }));
    await expect(client.current(device)).rejects.toThrow(UpstreamError);
    expect(paths).toEqual(["/iot_objects/device_1"]);
  });

  it("retries 5xx with backoff, then succeeds", async () => {
    let calls = 0;
    const { client } = await serve((_req, res) => {
      calls++;
      if (calls <= 2)
        res.writeHead(503, { "Content-Type": "text/html" }).end("<html>Service Unavailable</html>");
      else json(res, 200, [{ id: "device_1", client: "client_1", type: "temperature_sensor" }]);
    });
    expect((await client.listDevices()).items).toEqual([device]);
    expect(calls).toBe(3);
  });

  it("gives up after the configured retries", async () => {
    let calls = 0;
    const { client } = await serve((_req, res) => {
      calls++;
      json(res, 500, { error: "boom" });
    });
    await expect(client.listDevices()).rejects.toThrow(/HTTP 500/);
    expect(calls).toBe(3);
  });

  it("never retries a 4xx", async () => {
    let calls = 0;
    const { client } = await serve((_req, res) => {
      calls++;
      json(res, 400, { error: "bad" });
    });
    await expect(client.listDevices()).rejects.toThrow(/HTTP 400/);
    expect(calls).toBe(1);
  });

  it("reports a redirect with where it points, once, without following it", async () => {
    const { client, paths } = await serve((_req, res) =>
      res.writeHead(301, { Location: "https://iot.example.org/iot_objects" }).end(),
    );
    await expect(client.listDevices()).rejects.toThrow(
      /HTTP 301 from \/iot_objects: redirected to https:\/\/iot\.example\.org\/iot_objects; set IOT_API_URL/,
    );
    expect(paths).toEqual(["/iot_objects"]);
  });

  it("keeps the base URL's path prefix and sends the Accept header", async () => {
    const seen: { url?: string; accept?: string }[] = [];
    server = createServer((req, res) => {
      seen.push({ url: req.url, accept: req.headers.accept });
      json(res, 200, [{ id: "device_1", client: "client_1", type: "temperature_sensor" }]);
    });
    await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
    const client = new IotApiClient({
      baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/upstream/`,
      timeoutMs: 300,
      retries: 0,
      retryBaseDelayMs: 1,
      timeZone: "UTC",
    });
    expect((await client.listDevices()).items).toEqual([device]);
    expect(seen).toEqual([{ url: "/upstream/iot_objects", accept: "application/json" }]);
  });

  it("retries a refused connection, then gives up with the error code", async () => {
    // A port nothing listens on: taken, then freed.
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    let retries = 0;
    const client = new IotApiClient({
      baseUrl: `http://127.0.0.1:${port}`,
      timeoutMs: 300,
      retries: 2,
      retryBaseDelayMs: 1,
      timeZone: "UTC",
      onRetry: () => retries++,
    });
    await expect(client.listDevices()).rejects.toThrow(/ECONNREFUSED on \/iot_objects/);
    expect(retries).toBe(2);
  });

  it("goes through the proxy that HTTP_PROXY names", async () => {
    const proxied: string[] = [];
    const proxy = createServer((req, res) => {
      proxied.push(req.url ?? "");
      json(res, 200, [{ id: "device_1", client: "client_1", type: "temperature_sensor" }]);
    });
    await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
    const saved = {
      HTTP_PROXY: process.env.HTTP_PROXY,
      NO_PROXY: process.env.NO_PROXY,
      no_proxy: process.env.no_proxy,
    };
    process.env.HTTP_PROXY = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    delete process.env.NO_PROXY;
    delete process.env.no_proxy;
    try {
      // The upstream's host does not resolve: only the proxy can answer.
      const client = new IotApiClient({
        baseUrl: "http://upstream.invalid:5001",
        timeoutMs: 1000,
        retries: 0,
        retryBaseDelayMs: 1,
        timeZone: "UTC",
      });
      expect((await client.listDevices()).items).toEqual([device]);
      expect(proxied).toEqual(["http://upstream.invalid:5001/iot_objects"]);
    } finally {
      for (const [k, v] of Object.entries(saved))
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      proxy.closeAllConnections();
      await new Promise((r) => proxy.close(r));
    }
  });

  it("retries a request that hangs past the timeout", async () => {
    let calls = 0;
    const { client } = await serve((_req, res) => {
      calls++;
      if (calls === 1) return; // never answers
      json(res, 200, []);
    });
    expect((await client.listDevices()).items).toEqual([]);
    expect(calls).toBe(2);
  });

  it("refuses malformed JSON and reports entry-level problems by reason", async () => {
    const { client } = await serve((req, res) => {
      if (req.url === "/iot_objects") res.writeHead(200).end('[{"id": "device_1", "cli');
      else
        json(res, 200, {
          id: "device_1",
          client: "client_1",
          type: "temperature_sensor",
          history: [
            { timestamp: "2026-11-26T10:02:00.000000", value: 22.5 },
            { timestamp: "2026-11-26T10:01:00.000000" },
            { timestamp: "2026-11-26T10:00:00Z", value: 21 },
            { timestamp: "2026-11-26T09:59:00.000000", value: 1e9 },
          ],
        });
    });
    await expect(client.listDevices()).rejects.toThrow(/malformed JSON/);
    const history = await client.history(device);
    expect(history.samples.map((s) => s.value)).toEqual([22.5]);
    expect(history.rejected.map((r) => r.reason)).toEqual([
      "history entry value: Invalid input: expected number, received undefined",
      'bad timestamp "2026-11-26T10:00:00Z"',
      "temperature 1000000000 outside [-90, 150]",
    ]);
  });
});
