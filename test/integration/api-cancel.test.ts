// A query the API gives up on is cancelled inside InfluxDB, not just on the
// API's side (listing an anomaly storm, a query InfluxDB cannot push down): after a 503 at the query timeout, and after a client that hangs
// up, influxd's active-query gauge (qc_all_active) is back to zero at once,
// and another client's request is answered normally. A dedicated influxd, so
// no other test's queries count. Before the fix, an abandoned 7-day query ran
// on in influxd for 13-27 s and the next caller timed out behind it.
import { afterAll, beforeAll, expect, it } from "vitest";
import { hashKey } from "../../api/auth/keys.js";
import { type RunningApi, startApi } from "../../api/server.js";
import { anomalyLine, readingLine } from "../../ingest/points.js";
import { apiEnv } from "../../api/config.js";
import { influxEnv, readEnvGroups } from "../../shared/config/index.js";
import { createLogger } from "../../shared/log.js";
import { type DedicatedInflux, startDedicatedInflux } from "../support/influx-instance.js";
import { describeWithInflux, influxServer } from "../support/influx.js";

const ADMIN = "cancel-test-admin-key";
const CLIENT = "cancel-test-client-1-key";
/** Seconds of anomaly storm. */
const STORM_S = 86_400;
let influx: DedicatedInflux;
let impatient: RunningApi;
let patient: RunningApi;

async function startTestApi(queryTimeoutMs: number): Promise<RunningApi> {
  const cfg = readEnvGroups(
    { influx: influxEnv, api: apiEnv },
    {
      INFLUX_URL: influx.url,
      INFLUX_TOKEN: influx.token,
      INFLUX_ORG: influx.org,
      INFLUX_BUCKET: influx.bucket,
      API_PORT: "0",
      API_HOST: "127.0.0.1",
      API_KEYS_FILE: "",
      API_KEYS: `admin:ops:${hashKey(ADMIN)},client_1:${hashKey(CLIENT)}`,
      API_QUERY_TIMEOUT_MS: String(queryTimeoutMs),
      API_RATE_LIMIT_PER_MIN: "100000",
    },
  );
  return startApi(cfg, createLogger("api-cancel-test", "silent"));
}

/** Queries influxd is running right now (all orgs). */
async function activeQueries(): Promise<number> {
  const text = await (await fetch(`${influx.url}/metrics`)).text();
  let n = 0;
  for (const m of text.matchAll(/^qc_all_active\{[^}]*\} (\S+)$/gm)) n += Number(m[1]);
  return n;
}

/** Polls until no query is active; returns how long that took (ms), or throws past `withinMs`. */
async function drained(withinMs: number): Promise<number> {
  const t0 = performance.now();
  while ((await activeQueries()) > 0) {
    if (performance.now() - t0 > withinMs) throw new Error(`influxd still runs a query after ${withinMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return performance.now() - t0;
}

beforeAll(async () => {
  if (!influxServer) return;
  influx = await startDedicatedInflux();
  // An anomaly storm on one device, one event a second for a day: listing it pivots every event
  // in the range (not pushed down), well over the 100 ms timeout; another device's stats stay instant.
  const stopS = Math.floor(Date.now() / 1000) - 60;
  const type = "temperature_sensor";
  const write = async (lines: string[]) => {
    const res = await fetch(
      `${influx.url}/api/v2/write?org=${influx.org}&bucket=${influx.bucket}&precision=us`,
      {
        method: "POST",
        headers: { Authorization: `Token ${influx.token}` },
        body: lines.join("\n"),
      },
    );
    if (!res.ok) throw new Error(`write failed: ${res.status}`);
  };
  for (const device of ["device_1", "device_2"])
    await write(
      Array.from({ length: 60 }, (_, m) =>
        readingLine({
          device,
          client: "client_1",
          type,
          metric: "temperature",
          timeUs: (stopS - m * 60) * 1e6,
          value: 21,
        }),
      ),
    );
  for (let chunk = 0; chunk < STORM_S; chunk += 20_000) {
    const lines: string[] = [];
    for (let s = chunk; s < Math.min(STORM_S, chunk + 20_000); s++)
      lines.push(
        anomalyLine({
          device: "device_1",
          client: "client_1",
          type,
          metric: "temperature",
          rule: "zscore",
          severity: "warning",
          timeUs: (stopS - s) * 1e6,
          value: 30 + (s % 100) / 10,
          baseline: null,
          threshold: 25,
          score: 4.2,
          message: `device_1 temperature is 4.2 standard deviations from its rolling mean (${s})`,
        }),
      );
    await write(lines);
  }
  impatient = await startTestApi(100);
  patient = await startTestApi(30_000);
}, 180_000);

afterAll(async () => {
  await impatient?.close();
  await patient?.close();
  await influx?.destroy();
});

describeWithInflux("API: an abandoned query is cancelled in InfluxDB", () => {
  it("a 503 at the query timeout leaves no query running, and the next client is answered", async () => {
    // The slow request would take long without a timeout: check it does, so the test means something.
    const t0 = performance.now();
    const full = await fetch(`${patient.url}/v1/devices/device_1/anomalies?start=-1d`, {
      headers: { "x-api-key": ADMIN },
    });
    expect(full.status).toBe(200);
    const fullMs = performance.now() - t0;
    expect(fullMs, "listing the storm must outlast the 100 ms timeout").toBeGreaterThan(300);

    const res = await fetch(`${impatient.url}/v1/devices/device_1/anomalies?start=-1d`, {
      headers: { "x-api-key": ADMIN },
    });
    expect(res.status).toBe(503);
    expect(((await res.json()) as { message: string }).message).toMatch(/timed out/);
    // Cancelled, not left to finish: gone well before the uncancelled query would have ended.
    expect(await drained(Math.min(1000, fullMs / 2))).toBeLessThan(fullMs);

    const other = await fetch(`${patient.url}/v1/devices/device_2/stats?start=-1h`, {
      headers: { "x-api-key": CLIENT },
    });
    expect(other.status).toBe(200);
  });

  it("a client that hangs up cancels its queries", async () => {
    const t0 = performance.now();
    const full = await fetch(`${patient.url}/v1/devices/device_1/anomalies?start=-1d`, {
      headers: { "x-api-key": ADMIN },
    });
    expect(full.status).toBe(200);
    const fullMs = performance.now() - t0;

    const gone = new AbortController();
    const pending = fetch(`${patient.url}/v1/devices/device_1/anomalies?start=-1d`, {
      headers: { "x-api-key": ADMIN },
      signal: gone.signal,
    }).catch((err: unknown) => err);
    // Wait until influxd runs it, then hang up at once: polling again before the abort
    // could see the query already finished and the test would mean nothing.
    const until = performance.now() + 5000;
    let active = await activeQueries();
    while (active === 0 && performance.now() < until) {
      await new Promise((r) => setTimeout(r, 5));
      active = await activeQueries();
    }
    gone.abort();
    expect(active, "the query reached influxd").toBeGreaterThan(0);
    expect(await pending).toBeInstanceOf(Error);
    expect(await drained(Math.min(1000, fullMs / 2))).toBeLessThan(fullMs);
  });
});
