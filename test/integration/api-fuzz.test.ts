// Fuzz: thousands of generated requests (random and hostile parameters, Flux
// injection attempts, huge ranges, unicode, oversized headers, odd methods)
// from a seeded generator, over real HTTP, against data the real ingester
// wrote. Only 2xx/4xx may come back, every one JSON (those Node's HTTP parser
// refuses too), never a reset, never another client's data.
import { request } from "node:http";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { RunningApi } from "../../api/server.js";
import { type Rng, mulberry32 } from "../../simulator/random.js";
import { describeWithInflux, influxServer, useTestBucket } from "../support/influx.js";
import { useIngestedData } from "../support/ingested-data.js";
import { makeKeys, startTestApi, stringsIn } from "./api-helpers.js";

const bucket = useTestBucket(import.meta.url);
const data = useIngestedData(bucket, { seed: 23, cycles: 12 });
const keys = makeKeys("fuzz");
const REQUESTS = 1500;
const SEED = 20261127;
let api: RunningApi;

beforeAll(async () => {
  if (!influxServer) return;
  api = await startTestApi(bucket.current, { API_KEYS: keys.env, API_RATE_LIMIT_PER_MIN: "1000000" });
}, 120_000);

afterAll(async () => {
  await api?.close();
});

const OWN = ["device_1", "device_2"];
const FOREIGN = ["device_3", "device_4", "device_5", "device_6"];
const HOSTILE = [
  '") |> drop() //',
  '" or r.client != "x',
  '"} |> yield(name: "x") //',
  'device_1") |> filter(fn: (r) => true) //',
  'device_3" or r.device == "device_1',
  "${bucket}",
  "\\",
  '"',
  "'",
  "\u0000",
  "\n|> drop()",
  "%",
  "%zz",
  "../../etc/passwd",
  "<script>alert(1)</script>",
  "1h) |> drop(",
  "now() |> drop()",
  '-1h") |> drop() //',
  '2026-01-01T00:00:00Z") |> drop() //',
  "𝔡𝔢𝔳𝔦𝔠𝔢_1",
  "−1h",
  "ｄｅｖｉｃｅ＿１",
  "device_1\u202e",
  "🔥".repeat(50),
  "x".repeat(5000),
  "",
  " ",
  "null",
  "undefined",
  "[object Object]",
  "-9999999999999999999w",
  "-100000d",
  "-31d1ms",
  "-0s",
  "1e309",
  "NaN",
  "0x10",
  "9".repeat(400),
];
const VALUES = {
  start: [
    "-1h",
    "-6h",
    "-31d",
    "-32d",
    "-3h30m",
    "now",
    "2026-01-01T00:00:00Z",
    "1970-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
    "2026-02-30T00:00:00Z",
  ],
  stop: ["now", "-1m", "-2h", "2262-04-11T23:47:16Z", "2026-11-27T00:00:00+14:00"],
  every: ["1s", "1m", "10m", "1h", "1d", "0s", "1ms", "32d", "-1m", "1y"],
  metric: ["temperature", "humidity", "activity_level", "battery_level", "TEMPERATURE", "pressure"],
  fn: ["mean", "min", "max", "last", "median", "sum"],
  rule: ["threshold_high", "threshold_low", "battery_low", "zscore", "stuck", "silent", "back", "drop"],
  limit: ["1", "100", "1000", "0", "1001", "-1", "1.5", "abc"],
  silent_after: ["1m", "15m", "30d", "31d", "0s", "59s"],
  object_id: [...OWN, ...FOREIGN, "device_999"],
};
const PATHS = [
  "/v1/devices",
  "/v1/devices/{id}",
  "/v1/devices/{id}/stats",
  "/v1/devices/{id}/series",
  "/v1/devices/{id}/trend",
  "/v1/devices/{id}/anomalies",
  "/v1/summary",
  "/processed_data",
  "/client_statistics",
  "/healthz",
  "/readyz",
  "/openapi.json",
  "/v1/devices/{id}/{id}",
  "/v1/{id}",
  "/{id}",
  "//v1//devices",
  "/v1/devices/",
  "/V1/DEVICES",
];
const METHODS = [
  "GET",
  "GET",
  "GET",
  "GET",
  "GET",
  "GET",
  "HEAD",
  "POST",
  "PUT",
  "DELETE",
  "PATCH",
  "OPTIONS",
  "PROPFIND",
  "FOO",
];

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[Math.floor(rng() * items.length)]!;
}

function randomUnicode(rng: Rng): string {
  let s = "";
  const n = 1 + Math.floor(rng() * 20);
  for (let i = 0; i < n; i++) {
    const cp = Math.floor(rng() * 0x10ffff);
    // Lone surrogates cannot be URI-encoded: keep to scalar values.
    s += cp >= 0xd800 && cp <= 0xdfff ? "?" : String.fromCodePoint(cp);
  }
  return s;
}

function anyValue(rng: Rng, name: keyof typeof VALUES): string {
  const r = rng();
  if (r < 0.5) return pick(rng, VALUES[name]);
  if (r < 0.85) return pick(rng, HOSTILE);
  return randomUnicode(rng);
}

function anyId(rng: Rng): string {
  const r = rng();
  if (r < 0.3) return pick(rng, OWN);
  if (r < 0.6) return pick(rng, FOREIGN);
  if (r < 0.7) return `device_${Math.floor(rng() * 1e6)}`;
  if (r < 0.9) return pick(rng, HOSTILE);
  return randomUnicode(rng);
}

/** Encodes like a client would, but sometimes leaves hostile raw (still valid HTTP) bytes. */
function enc(rng: Rng, s: string): string {
  if (rng() < 0.1 && /^[\x21-\x7e]*$/.test(s) && !/[#?]/.test(s)) return s.replace(/ /g, "%20");
  return encodeURIComponent(s);
}

interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
}

function generate(rng: Rng): FuzzRequest {
  const template = pick(rng, PATHS);
  let path = template.replace(/\{id\}/g, () => enc(rng, anyId(rng)));
  const params: string[] = [];
  const names = Object.keys(VALUES) as (keyof typeof VALUES)[];
  const count = Math.floor(rng() * 5);
  for (let i = 0; i < count; i++) {
    const name = rng() < 0.9 ? pick(rng, names) : enc(rng, pick(rng, HOSTILE));
    const value = name in VALUES ? anyValue(rng, name as keyof typeof VALUES) : pick(rng, HOSTILE);
    params.push(`${name}=${enc(rng, value)}`);
  }
  if (params.length > 0) path += `?${params.join("&")}`;
  const headers: Record<string, string> = {};
  const h = rng();
  if (h < 0.7) headers["x-api-key"] = keys.byClient.client_1!;
  else if (h < 0.78) headers.authorization = `Bearer ${keys.byClient.client_1}`;
  else if (h < 0.84) headers["x-api-key"] = "x".repeat(20_000 + Math.floor(rng() * 50_000));
  else if (h < 0.9) headers["x-api-key"] = encodeURIComponent(pick(rng, HOSTILE)).slice(0, 200) || "k";
  else if (h < 0.95) headers.authorization = `Bearer ${keys.byClient.client_1} trailing`;
  if (rng() < 0.05) headers["x-filler"] = "y".repeat(70_000);
  return { method: pick(rng, METHODS), path, headers };
}

interface Reply {
  status: number;
  text: string;
  contentType: string;
}

function send(r: FuzzRequest): Promise<Reply> {
  const url = new URL(api.url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method: r.method,
        path: r.path,
        headers: r.headers,
        agent: false,
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (text += c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            text,
            contentType: String(res.headers["content-type"] ?? ""),
          }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end();
  });
}

describeWithInflux("API fuzz", () => {
  it(`${REQUESTS} generated requests: only 2xx/4xx, JSON errors, never another client's data`, async () => {
    expect(data.current.fleet).toHaveLength(6);
    const rng = mulberry32(SEED);
    const requests = Array.from({ length: REQUESTS }, () => generate(rng));
    const statuses = new Map<number, number>();
    const failures: string[] = [];
    let parserRefusals = 0;
    let next = 0;
    const worker = async () => {
      while (next < requests.length) {
        const r = requests[next++]!;
        let reply: Reply;
        try {
          reply = await send(r);
        } catch (err) {
          // Even oversized headers must be answered (api/client-error.ts), never reset.
          reply = { status: -1, text: String(err), contentType: "" };
        }
        statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
        const what = `${r.method} ${r.path.slice(0, 200)} -> ${reply.status} ${reply.text.slice(0, 200)}`;
        if (reply.status === -1) {
          failures.push(`connection error: ${what}`);
          continue;
        }
        if (reply.status < 200 || reply.status >= 500) failures.push(what);
        // Node's HTTP parser refuses oversized headers (431), methods it does not know and
        // URLs with bytes it does not accept (400) before the app runs; those answers are
        // JSON as well. Every answer is JSON but for /metrics, /docs and HEAD.
        if (/"error":"headers_too_large"|malformed HTTP request/.test(reply.text)) parserRefusals++;
        const ours = r.method !== "HEAD" && !r.path.startsWith("/metrics");
        let body: unknown;
        if (ours && reply.contentType.includes("application/json")) body = JSON.parse(reply.text);
        else if (ours && !(reply.status === 200 && r.path.startsWith("/docs")))
          failures.push(`not JSON: ${what}`);
        if (
          reply.status >= 400 &&
          body !== undefined &&
          typeof (body as { error?: unknown }).error !== "string"
        )
          failures.push(`error without {error}: ${what}`);
        if (reply.status >= 200 && reply.status < 300 && body !== undefined) {
          for (const s of stringsIn(body)) {
            if (/^client_\d+$/.test(s) && s !== "client_1") failures.push(`leak ${s}: ${what}`);
            if (/^device_\d+$/.test(s) && !OWN.includes(s)) failures.push(`leak ${s}: ${what}`);
          }
        }
        const asked = decodeURIComponentSafe(r.path);
        if (!/client_[23]|device_[3-6]/.test(asked) && /"(client_[23]|device_[3-6])"/.test(reply.text))
          failures.push(`leak: ${what}`);
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    const distribution = Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0]));
    console.log(
      `fuzz: ${REQUESTS} requests (seed ${SEED}), statuses ${JSON.stringify(distribution)}, ${parserRefusals} refused by Node's HTTP parser`,
    );
    expect(failures.slice(0, 20)).toEqual([]);
    expect([...statuses.values()].reduce((a, b) => a + b, 0)).toBe(REQUESTS);
    // The generator must reach the data, not only the validators.
    expect(statuses.get(200) ?? 0).toBeGreaterThan(50);
    expect(statuses.get(404) ?? 0).toBeGreaterThan(50);
    expect(statuses.get(400) ?? 0).toBeGreaterThan(50);
    expect(statuses.get(401) ?? 0).toBeGreaterThan(50);
    // ... and the HTTP parser's refusals (oversized headers at the least), answered in JSON.
    expect(statuses.get(431) ?? 0).toBeGreaterThan(10);
    expect(parserRefusals).toBeGreaterThan(10);
  });
});

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
