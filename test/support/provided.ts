// What the integration global setup hands to test files (vitest's provide/inject).
export interface ProvidedInflux {
  url: string;
  token: string;
  org: string;
  orgID: string;
  version: string;
  /** "started" by scripts/influxdb.sh for this run, or "external" from INFLUX_* variables. */
  origin: "started" | "external";
}

declare module "vitest" {
  export interface ProvidedContext {
    /** null only outside CI, when no InfluxDB could be had (tests skip loudly). */
    influx: ProvidedInflux | null;
    /** Path of a Prometheus binary, or null outside CI when none is installed. */
    prometheusBin: string | null;
  }
}
