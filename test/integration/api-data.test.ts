// The API over data the real ingester wrote from the simulator: every
// endpoint answers each client with its own data only (a table over clients,
// devices and endpoints), and the figures match an independent computation
// over the raw points the test reads back itself.
import { max, mean, min, sampleStandardDeviation } from "simple-statistics";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { RunningApi } from "../../api/server.js";
import { describeWithInflux, influxServer, useTestBucket } from "../support/influx.js";
import { useIngestedData } from "../support/ingested-data.js";
import {
  CLIENTS,
  type RawPoint,
  type TestKeys,
  get,
  makeKeys,
  readRawReadings,
  startTestApi,
  stringsIn,
} from "./api-helpers.js";

const bucket = useTestBucket(import.meta.url);
const data = useIngestedData(bucket, { seed: 11, cycles: 18 });
const keys: TestKeys = makeKeys("data");
let api: RunningApi;
let raw: RawPoint[];
let window: string;

beforeAll(async () => {
  if (!influxServer) return;
  api = await startTestApi(bucket.current, { API_KEYS: keys.env, API_RATE_LIMIT_PER_MIN: "100000" });
  raw = await readRawReadings(bucket.current);
  const d = data.current;
  window = `start=${new Date(d.firstCycleMs - 20 * 60_000).toISOString()}&stop=${new Date(d.lastCycleMs + 2 * 60_000).toISOString()}`;
}, 120_000);

afterAll(async () => {
  await api?.close();
});

interface Figures {
  mean: number;
  min: number;
  max: number;
  count: number;
  stddev: number | null;
}

function figures(values: number[]): Figures {
  return {
    mean: mean(values),
    min: min(values),
    max: max(values),
    count: values.length,
    stddev: values.length > 1 ? sampleStandardDeviation(values) : null,
  };
}

function group(points: RawPoint[], key: (p: RawPoint) => string): Map<string, Figures> {
  const values = new Map<string, number[]>();
  for (const p of points) values.set(key(p), [...(values.get(key(p)) ?? []), p.value]);
  return new Map([...values].map(([k, v]) => [k, figures(v)]));
}

function expectClose(
  actual: { mean: number | null; min: number | null; max: number | null; count: number },
  expected: Figures,
) {
  expect(actual.count).toBe(expected.count);
  expect(actual.min).toBe(expected.min);
  expect(actual.max).toBe(expected.max);
  expect(actual.mean).toBeCloseTo(expected.mean, 9);
}

const UNKNOWN_ID = "device_999";

/** Every endpoint that takes a device id, with parameters that cover the data. */
const deviceEndpoints = (id: string): string[] => [
  `/v1/devices/${id}`,
  `/v1/devices/${id}/stats?${window}`,
  `/v1/devices/${id}/series?${window}&every=10m&fn=max`,
  `/v1/devices/${id}/trend?start=-6h&every=10m`,
  `/v1/devices/${id}/anomalies?${window}`,
  `/processed_data?object_id=${id}&${window}`,
];
const fleetEndpoints = (): string[] => [
  "/v1/devices",
  `/v1/summary?${window}`,
  `/client_statistics?${window}`,
];

describeWithInflux("API over ingested data", () => {
  it("ingested a few hours for every device of the reference fleet", () => {
    const d = data.current;
    expect(d.fleet).toHaveLength(6);
    expect(d.lastCycleMs - d.firstCycleMs).toBe(17 * 10 * 60_000);
    expect(new Set(raw.map((p) => p.device))).toEqual(new Set(d.fleet.map((f) => f.id)));
    // 18 cycles of 10 history minutes per device, plus a battery reading per cycle.
    expect(raw.filter((p) => p.device === "device_1" && p.field === "temperature")).toHaveLength(180);
  });

  it("isolation table: each client's key sees its own devices on every endpoint, others answer like unknown ids", async () => {
    const { fleet } = data.current;
    let checked = 0;
    for (const client of CLIENTS) {
      const key = keys.byClient[client]!;
      const own = new Set(fleet.filter((f) => f.client === client).map((f) => f.id));
      for (const path of fleetEndpoints()) {
        const a = await get(api, path, key);
        expect(a.status, path).toBe(200);
        const strings = stringsIn(a.body);
        for (const s of strings.filter((x) => /^device_\d+$/.test(x)))
          expect(own, `${client} ${path}`).toContain(s);
        for (const s of strings.filter((x) => /^client_\d+$/.test(x)))
          expect(s, `${client} ${path}`).toBe(client);
        checked++;
      }
      const devicesAnswer = (await get(api, "/v1/devices", key)).body as { devices: { id: string }[] };
      expect(new Set(devicesAnswer.devices.map((d) => d.id))).toEqual(own);

      for (const device of fleet) {
        const paths = deviceEndpoints(device.id);
        const unknownPaths = deviceEndpoints(UNKNOWN_ID);
        for (const [i, path] of paths.entries()) {
          const a = await get(api, path, key);
          if (own.has(device.id)) {
            expect(a.status, `${client} ${path}`).toBe(200);
            const strings = stringsIn(a.body);
            for (const s of strings.filter((x) => /^client_\d+$/.test(x))) expect(s).toBe(client);
            for (const s of strings.filter((x) => /^device_\d+$/.test(x))) expect(s).toBe(device.id);
          } else {
            const unknown = await get(api, unknownPaths[i]!, key);
            expect(a.status, `${client} ${path}`).toBe(404);
            expect(unknown.status).toBe(404);
            expect(a.text).toBe(unknown.text);
            expect(a.body).toEqual({ error: "not_found", message: "device not found" });
          }
          checked++;
        }
      }
    }
    expect(checked).toBe(CLIENTS.length * (3 + 6 * 6));
  });

  it("no key and bad keys get 401 JSON on every data endpoint", async () => {
    const paths = [...fleetEndpoints(), ...deviceEndpoints("device_1")];
    const attempts: [string, Record<string, string>][] = [
      ["no key", {}],
      ["unknown key", { "x-api-key": "nope" }],
      ["another client's hash as key", { "x-api-key": "0".repeat(64) }],
      ["empty key", { "x-api-key": "" }],
      ["bad bearer", { authorization: "Bearer nope" }],
      [
        "basic auth",
        { authorization: `Basic ${Buffer.from(`client_1:${keys.byClient.client_1}`).toString("base64")}` },
      ],
    ];
    for (const path of paths)
      for (const [what, headers] of attempts) {
        const res = await fetch(`${api.url}${path}`, { headers });
        expect(res.status, `${what} ${path}`).toBe(401);
        expect(await res.json()).toMatchObject({ error: "unauthorized" });
      }
  });

  it("a Bearer token works like x-api-key", async () => {
    const res = await fetch(`${api.url}/v1/devices`, {
      headers: { authorization: `Bearer ${keys.byClient.client_2}` },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { scope: unknown; devices: { id: string }[] };
    expect(body.scope).toEqual({ client: "client_2", admin: false });
    expect(body.devices.map((d) => d.id)).toEqual(["device_3", "device_4"]);
  });

  it("the admin key sees every client's devices, marked as admin", async () => {
    const all = await get(api, "/v1/devices", keys.admin);
    expect(all.status).toBe(200);
    const body = all.body as { scope: unknown; devices: { id: string; client: string }[] };
    expect(body.scope).toEqual({ client: null, admin: true });
    expect(body.devices.map((d) => [d.id, d.client])).toEqual(
      data.current.fleet.map((f) => [f.id, f.client]),
    );
    for (const device of data.current.fleet)
      for (const path of deviceEndpoints(device.id))
        expect((await get(api, path, keys.admin)).status, path).toBe(200);
    expect((await get(api, `/v1/devices/${UNKNOWN_ID}`, keys.admin)).status).toBe(404);
  });

  it("/stats and /processed_data match mean/min/max/stddev/count computed from the raw points", async () => {
    const expected = group(raw, (p) => `${p.device}/${p.field}`);
    for (const device of data.current.fleet) {
      const key = keys.byClient[device.client]!;
      const stats = (await get(api, `/v1/devices/${device.id}/stats?${window}`, key)).body as {
        metrics: Record<string, Figures>;
      };
      const processed = (await get(api, `/processed_data?object_id=${device.id}&${window}`, key)).body as {
        metrics: Record<string, { average: number; min: number; max: number; count: number }>;
      };
      const fields = [...expected.keys()]
        .filter((k) => k.startsWith(`${device.id}/`))
        .map((k) => k.split("/")[1]!);
      expect(Object.keys(stats.metrics).sort()).toEqual(fields.sort());
      expect(Object.keys(processed.metrics).sort()).toEqual(fields.sort());
      for (const field of fields) {
        const want = expected.get(`${device.id}/${field}`)!;
        expectClose(stats.metrics[field]!, want);
        expect(stats.metrics[field]!.stddev).toBeCloseTo(want.stddev!, 9);
        const p = processed.metrics[field]!;
        expectClose({ mean: p.average, min: p.min, max: p.max, count: p.count }, want);
      }
    }
  });

  it("/client_statistics and /v1/summary match per type and metric aggregates of the client's raw points", async () => {
    for (const client of [...CLIENTS, "admin"]) {
      const key = client === "admin" ? keys.admin : keys.byClient[client]!;
      const mine = client === "admin" ? raw : raw.filter((p) => p.client === client);
      const expected = group(mine, (p) => `${p.type}/${p.field}`);
      const devices = new Map<string, number>();
      for (const k of expected.keys())
        devices.set(k, new Set(mine.filter((p) => `${p.type}/${p.field}` === k).map((p) => p.device)).size);

      const cs = (await get(api, `/client_statistics?${window}`, key)).body as {
        client: string | null;
        statistics: {
          type: string;
          metric: string;
          objects: number;
          average: number;
          min: number;
          max: number;
          count: number;
        }[];
      };
      expect(cs.client).toBe(client === "admin" ? null : client);
      expect(cs.statistics.map((s) => `${s.type}/${s.metric}`).sort()).toEqual([...expected.keys()].sort());
      for (const s of cs.statistics) {
        expectClose(
          { mean: s.average, min: s.min, max: s.max, count: s.count },
          expected.get(`${s.type}/${s.metric}`)!,
        );
        expect(s.objects).toBe(devices.get(`${s.type}/${s.metric}`));
      }

      const summary = (await get(api, `/v1/summary?${window}`, key)).body as {
        devices: { total: number };
        metrics: (Figures & { type: string; metric: string; devices: number })[];
        anomalies: { total: number };
      };
      expect(summary.devices.total).toBe(new Set(mine.map((p) => p.device)).size);
      expect(summary.metrics).toHaveLength(expected.size);
      for (const m of summary.metrics) {
        const want = expected.get(`${m.type}/${m.metric}`)!;
        expectClose(m, want);
        expect(m.stddev).toBeCloseTo(want.stddev!, 9);
      }
    }
  });

  it("/series downsamples: each window's max matches the raw points in it, within the point cap", async () => {
    const points = raw.filter((p) => p.device === "device_2" && p.field === "humidity");
    const a = await get(
      api,
      `/v1/devices/device_2/series?${window}&every=10m&fn=max`,
      keys.byClient.client_1,
    );
    const body = a.body as { metric: string; every: string; points: { time: string; value: number }[] };
    expect(body.metric).toBe("humidity");
    expect(body.every).toBe("10m");
    expect(body.points.length).toBeGreaterThan(10);
    for (const pt of body.points) {
      const from = Date.parse(pt.time);
      const inWindow = points.filter(
        (p) => Date.parse(p.time) >= from && Date.parse(p.time) < from + 10 * 60_000,
      );
      expect(pt.value).toBe(max(inWindow.map((p) => p.value)));
    }
    const tooMany = await get(api, `/v1/devices/device_2/series?start=-30d&every=1m`, keys.byClient.client_1);
    expect(tooMany.status).toBe(400);
    expect(tooMany.body).toMatchObject({ error: "bad_request", parameter: "every" });
  });

  it("/anomalies lists the anomaly points the ingester wrote, filtered by rule", async () => {
    let total = 0;
    for (const device of data.current.fleet) {
      const key = keys.byClient[device.client]!;
      const all = (await get(api, `/v1/devices/${device.id}/anomalies?${window}&limit=1000`, key)).body as {
        total: number;
        events: { device: string; rule: string; time: string }[];
      };
      expect(all.events).toHaveLength(all.total);
      for (const e of all.events) expect(e.device).toBe(device.id);
      total += all.total;
      for (const rule of new Set(all.events.map((e) => e.rule))) {
        const only = (await get(api, `/v1/devices/${device.id}/anomalies?${window}&rule=${rule}`, key))
          .body as {
          total: number;
          events: { rule: string }[];
        };
        expect(only.total).toBe(all.events.filter((e) => e.rule === rule).length);
        expect(only.events.every((e) => e.rule === rule)).toBe(true);
      }
    }
    // anomalyRate 0.02 over hours of six devices: the simulator injected some.
    expect(total).toBeGreaterThan(0);
    const summary = (await get(api, `/v1/summary?${window}`, keys.admin)).body as {
      anomalies: { total: number };
    };
    expect(summary.anomalies.total).toBe(total);
  });

  it("Flux injection attempts are refused as bad input and change nothing", async () => {
    const key = keys.byClient.client_1!;
    const before = (await get(api, `/v1/devices/device_1/stats?${window}`, key)).text;
    const hostile = [
      '") |> drop() //',
      '" or r.client != "',
      'device_1" or true or "',
      'device_3"',
      '${"x"}',
      '\\\\"',
      "device_1\n|> yield()",
    ];
    for (const h of hostile) {
      const e = encodeURIComponent(h);
      for (const path of [
        `/v1/devices/${e}/stats`,
        `/processed_data?object_id=${e}`,
        `/v1/devices/device_1/stats?start=${e}`,
        `/v1/devices/device_1/stats?stop=${e}`,
        `/v1/devices/device_1/series?metric=${e}`,
        `/v1/devices/device_1/series?fn=${e}`,
        `/v1/devices/device_1/series?every=${e}`,
        `/v1/devices/device_1/anomalies?rule=${e}`,
        `/v1/devices/device_1/trend?start=${e}`,
        `/v1/summary?silent_after=${e}`,
      ]) {
        const a = await get(api, path, key);
        expect([400, 404], `${path} -> ${a.status} ${a.text}`).toContain(a.status);
        expect(a.text).not.toMatch(/client_[23]|device_[3-6]"/);
      }
    }
    expect((await get(api, `/v1/devices/device_1/stats?${window}`, key)).text).toBe(before);
  });

  it("bad parameters answer 400 JSON naming the parameter and what is allowed", async () => {
    const key = keys.byClient.client_1!;
    const cases: [string, string, RegExp][] = [
      ["/v1/devices/device_1/stats?start=yesterday", "start", /start must be a negative duration/],
      ["/v1/devices/device_1/stats?start=-40d", "start", /at most 31d/],
      ["/v1/devices/device_1/stats?start=-1h&stop=-2h", "start", /before stop/],
      [
        "/v1/devices/device_1/series?metric=pressure",
        "metric",
        /one of temperature, humidity, activity_level, battery_level/,
      ],
      ["/v1/devices/device_1/series?fn=median", "fn", /one of mean, min, max, last/],
      ["/v1/devices/device_1/series?every=0s", "every", /every must be/],
      ["/v1/devices/device_1/anomalies?rule=nope", "rule", /rule must be one of threshold_high/],
      ["/v1/devices/device_1/anomalies?limit=5000", "limit", /1\.\.1000/],
      ["/processed_data", "object_id", /./],
      ["/v1/summary?silent_after=1s", "silent_after", /at least 1m/],
      ["/v1/devices/device_1/stats?start=-1h&start=-2h", "start", /once/],
    ];
    for (const [path, parameter, message] of cases) {
      const a = await get(api, path, key);
      expect(a.status, path).toBe(400);
      expect(a.body, path).toMatchObject({ error: "bad_request", parameter });
      expect((a.body as { message: string }).message, path).toMatch(message);
    }
    const unknown = await get(api, "/v2/nothing", key);
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ error: "not_found" });
  });

  it("a trend over the ingested hours has a slope, r2 and a direction", async () => {
    const a = await get(api, "/v1/devices/device_1/trend?start=-6h&every=10m", keys.byClient.client_1);
    const body = a.body as {
      points: number;
      slope_per_hour: number;
      r2: number;
      direction: string;
      metric: string;
    };
    expect(body.metric).toBe("temperature");
    expect(body.points).toBeGreaterThanOrEqual(17);
    expect(Number.isFinite(body.slope_per_hour)).toBe(true);
    expect(body.r2).toBeGreaterThanOrEqual(0);
    expect(["rising", "falling", "flat"]).toContain(body.direction);
  });

  it("the rate limit answers 429 JSON with Retry-After, per key", async () => {
    const limited = await startTestApi(bucket.current, { API_KEYS: keys.env, API_RATE_LIMIT_PER_MIN: "5" });
    try {
      const statuses: number[] = [];
      let refused: Response | undefined;
      for (let i = 0; i < 7; i++) {
        const res = await fetch(`${limited.url}/v1/devices`, {
          headers: { "x-api-key": keys.byClient.client_1! },
        });
        statuses.push(res.status);
        if (res.status === 429) refused = res;
        else await res.body?.cancel();
      }
      expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
      expect(statuses.slice(5)).toEqual([429, 429]);
      expect(Number(refused!.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      expect(await refused!.json()).toMatchObject({ error: "rate_limited" });
      // Another key has its own bucket.
      const other = await fetch(`${limited.url}/v1/devices`, {
        headers: { "x-api-key": keys.byClient.client_2! },
      });
      expect(other.status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});
