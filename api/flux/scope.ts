// Pieces every API query shares: the caller's scope (one client, or all for
// an admin) and the time range, rendered only through the client library's
// escaping (flux template, fluxDateTime, toFluxValue) from validated values.
import { type ParameterizedQuery, flux, fluxDateTime, fluxExpression } from "@influxdata/influxdb-client";
import { TAG } from "../../shared/schema.js";
import type { TimeRange } from "../time-range.js";
import type { QueryRunner } from "./run.js";

/**
 * `client` null = admin: every client's data. `site` undefined = every site;
 * a name = that site's points only; "" = only points without a site tag (a
 * single site's, or written before EDGE_SITE was set).
 */
export interface Scope {
  readonly client: string | null;
  readonly site?: string | undefined;
}

export interface FluxContext {
  readonly runner: QueryRunner;
  readonly bucket: string;
  /** Hourly rollup (`reading_hourly`) for long ranges; absent = raw data only. */
  readonly rollup?: RollupSource;
}

export interface RollupSource {
  readonly bucket: string;
  /** Ranges longer than this read the rollup. */
  readonly afterMs: number;
}

/** ` and r.client == "<client>"` (nothing for an admin), then the site's filter (nothing for every site). */
export function scopeFilter(scope: Scope): ParameterizedQuery {
  const client =
    scope.client === null ? flux`` : flux` and r.${fluxExpression(TAG.client)} == ${scope.client}`;
  // Both forms are pushed down to storage (an == "" would not be: InfluxDB reads a missing tag as null).
  const site =
    scope.site === undefined
      ? flux``
      : scope.site === ""
        ? flux` and not exists r.${fluxExpression(TAG.site)}`
        : flux` and r.${fluxExpression(TAG.site)} == ${scope.site}`;
  return flux`${client}${site}`;
}

/** ` and r.device == "<id>"`, or nothing when `device` is undefined. */
export function deviceFilter(device: string | undefined): ParameterizedQuery {
  return device === undefined ? flux`` : flux` and r.${fluxExpression(TAG.device)} == ${device}`;
}

export function rangeCall(range: TimeRange): ParameterizedQuery {
  return flux`range(start: ${fluxDateTime(new Date(range.startMs).toISOString())}, stop: ${fluxDateTime(new Date(range.stopMs).toISOString())})`;
}

/** A number from a Flux row (the client parses typed columns, but be lenient with strings). */
export function num(value: unknown): number | null {
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (typeof value === "string" && value !== "") {
    const n = Number(value);
    return Number.isFinite(n) ? n : null;
  }
  return null;
}
