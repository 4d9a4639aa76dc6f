import { readFileSync } from "node:fs";
import { rootCertificates } from "node:tls";
import { InfluxDB } from "@influxdata/influxdb-client";

export interface InfluxConnection {
  url: string;
  token: string;
  timeoutMs?: number;
  /** PEM CA to trust besides the public ones (INFLUX_CA_FILE); only used for https:// URLs. */
  caFile?: string;
}

/** The one way the product opens InfluxDB: the official client, with our timeout and CA. */
export function createInfluxClient({ url, token, timeoutMs = 10_000, caFile }: InfluxConnection): InfluxDB {
  if (caFile && url.startsWith("https:"))
    return new InfluxDB({
      url,
      token,
      timeout: timeoutMs,
      // Node's `ca` replaces its bundle: keep the public roots so a public-CA server still works.
      transportOptions: { ca: [...rootCertificates, readFileSync(caFile, "utf8")] },
    });
  return new InfluxDB({ url, token, timeout: timeoutMs });
}
