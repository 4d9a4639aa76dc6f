// InfluxDB stopped under a running API process: data routes answer 503 JSON
// in bounded time, /readyz fails, /healthz passes; InfluxDB back: answers
// resume with no restart of the API.
import { afterAll, beforeAll, expect, it } from "vitest";
import { hashKey } from "../../api/auth/keys.js";
import { readingLine } from "../../ingest/points.js";
import { freePort } from "../../shared/net/free-port.js";
import { METRIC } from "../../shared/schema.js";
import { type DedicatedInflux, startDedicatedInflux } from "../support/influx-instance.js";
import { describeWithInflux, influxServer } from "../support/influx.js";
import { type ServiceProcess, startService } from "../support/processes.js";

const KEY = "outage-test-client-1-key";
let influx: DedicatedInflux;
let api: ServiceProcess;
let base: string;

async function writeLines(lines: string[]) {
  const url = `${influx.url}/api/v2/write?org=${influx.org}&bucket=${influx.bucket}&precision=us`;
  const res = await fetch(url, {
    method: "POST",
    headers: { Authorization: `Token ${influx.token}` },
    body: lines.join("\n"),
  });
  if (!res.ok) throw new Error(`write failed: ${res.status} ${await res.text()}`);
}

async function call(path: string) {
  const res = await fetch(`${base}${path}`, { headers: { "x-api-key": KEY } });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  if (!influxServer) return;
  influx = await startDedicatedInflux();
  const nowUs = Date.now() * 1000;
  await writeLines(
    Array.from({ length: 10 }, (_, i) =>
      readingLine({
        client: "client_1",
        device: "device_1",
        type: "temperature_sensor",
        metric: METRIC.temperature,
        value: 20 + i,
        timeUs: nowUs - i * 60_000_000,
      }),
    ),
  );
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  api = startService("api/main.ts", {
    INFLUX_URL: influx.url,
    INFLUX_TOKEN: influx.token,
    INFLUX_ORG: influx.org,
    INFLUX_BUCKET: influx.bucket,
    API_PORT: String(port),
    API_HOST: "127.0.0.1",
    API_KEYS_FILE: "",
    API_KEYS: `client_1:${hashKey(KEY)}`,
    API_QUERY_TIMEOUT_MS: "2000",
    LOG_LEVEL: "info",
  });
  await api.waitForLog((l) => l.msg === "api started");
}, 180_000);

afterAll(async () => {
  await api?.stop();
  await influx?.destroy();
});

describeWithInflux("API during an InfluxDB outage", () => {
  it("serves, answers 503 JSON while InfluxDB is down, and recovers without a restart", async () => {
    const before = await call("/v1/devices/device_1/stats");
    expect(before.status).toBe(200);
    expect(before.body).toMatchObject({ metrics: { temperature: { count: 10, min: 20, max: 29 } } });
    expect((await call("/readyz")).status).toBe(200);

    await influx.stop();
    for (const path of ["/v1/devices", "/v1/devices/device_1/stats", "/v1/summary", "/client_statistics"]) {
      const down = await call(path);
      expect(down.status, path).toBe(503);
      expect(down.body).toMatchObject({ error: "unavailable" });
      expect(Number(down.headers.get("retry-after"))).toBeGreaterThan(0);
    }
    const ready = await call("/readyz");
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({ error: "unavailable" });
    expect(await call("/healthz")).toMatchObject({ status: 200, body: { status: "ok" } });
    // Auth and validation still answer without InfluxDB.
    expect((await fetch(`${base}/v1/devices`)).status).toBe(401);
    expect((await call("/v1/devices/device_1/stats?start=x")).status).toBe(400);

    await influx.start();
    let after = await call("/v1/devices/device_1/stats");
    for (let i = 0; i < 100 && after.status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 200));
      after = await call("/v1/devices/device_1/stats");
    }
    expect(after.status).toBe(200);
    expect(after.body).toMatchObject({ metrics: { temperature: { count: 10 } } });
    expect((await call("/readyz")).status).toBe(200);
    expect(api.child.exitCode).toBeNull();
    expect(api.logs.some((l) => l.msg === "InfluxDB unavailable")).toBe(true);
  });

  it("exits 0 on SIGTERM", async () => {
    expect(await api.stop("SIGTERM")).toBe(0);
    expect(api.logs.at(-1)).toMatchObject({ msg: "stopped" });
  });
});
