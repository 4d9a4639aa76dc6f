import { InfluxDB } from "@influxdata/influxdb-client";

export interface InfluxConnection {
  url: string;
  token: string;
  timeoutMs?: number;
}

/** The one way the product opens InfluxDB: the official client, with our timeout. */
export function createInfluxClient({ url, token, timeoutMs = 10_000 }: InfluxConnection): InfluxDB {
  return new InfluxDB({ url, token, timeout: timeoutMs });
}
