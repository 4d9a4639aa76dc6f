// Shared by the API integration tests: keys for the reference fleet's
// clients and an admin, an API started in-process on a free port, and an
// independent read of the raw points to check the API's figures against.
import { flux } from "@influxdata/influxdb-client";
import { hashKey } from "../../api/auth/keys.js";
import { type RunningApi, startApi } from "../../api/server.js";
import { apiEnv } from "../../api/config.js";
import { influxEnv, readEnvGroups } from "../../shared/config/index.js";
import { createLogger } from "../../shared/log.js";
import { MEASUREMENT } from "../../shared/schema.js";
import type { TestBucket } from "../support/influx.js";

export const CLIENTS = ["client_1", "client_2", "client_3"] as const;

export interface TestKeys {
  byClient: Record<string, string>;
  admin: string;
  /** API_KEYS value holding their hashes. */
  env: string;
}

export function makeKeys(tag: string): TestKeys {
  const byClient = Object.fromEntries(CLIENTS.map((c) => [c, `test-${tag}-${c}-key`]));
  const admin = `test-${tag}-admin-key`;
  const env = [...CLIENTS.map((c) => `${c}:${hashKey(byClient[c]!)}`), `admin:ops:${hashKey(admin)}`].join(
    ",",
  );
  return { byClient, admin, env };
}

export async function startTestApi(bucket: TestBucket, env: Record<string, string>): Promise<RunningApi> {
  const cfg = readEnvGroups(
    { influx: influxEnv, api: apiEnv },
    {
      INFLUX_URL: bucket.server.url,
      INFLUX_TOKEN: bucket.server.token,
      INFLUX_ORG: bucket.server.org,
      INFLUX_BUCKET: bucket.name,
      API_PORT: "0",
      API_HOST: "127.0.0.1",
      API_KEYS_FILE: "",
      ...env,
    },
  );
  return startApi(cfg, createLogger("api-test", "silent"));
}

export interface Answer {
  status: number;
  headers: Headers;
  body: unknown;
  text: string;
}

export async function get(api: RunningApi, path: string, key?: string): Promise<Answer> {
  const res = await fetch(`${api.url}${path}`, { headers: key === undefined ? {} : { "x-api-key": key } });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, headers: res.headers, body, text };
}

export interface RawPoint {
  client: string;
  device: string;
  type: string;
  field: string;
  value: number;
  time: string;
}

/** Every raw `reading` point of the bucket, read with a Flux query of the test's own. */
export async function readRawReadings(bucket: TestBucket): Promise<RawPoint[]> {
  const rows = await bucket.client.getQueryApi(bucket.server.org).collectRows<Record<string, unknown>>(flux`
    from(bucket: ${bucket.name})
      |> range(start: 0)
      |> filter(fn: (r) => r._measurement == ${MEASUREMENT.reading})`);
  return rows.map((r) => ({
    client: r.client as string,
    device: r.device as string,
    type: r.type as string,
    field: r._field as string,
    value: r._value as number,
    time: r._time as string,
  }));
}

/** All strings anywhere in a JSON value. */
export function stringsIn(value: unknown, out: string[] = []): string[] {
  if (typeof value === "string") out.push(value);
  else if (Array.isArray(value)) for (const v of value) stringsIn(v, out);
  else if (value && typeof value === "object") for (const v of Object.values(value)) stringsIn(v, out);
  return out;
}
