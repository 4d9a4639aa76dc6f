// What every data router shares: its deps, a router preset with the
// validation hook, the ownership check, and range parsing.
import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { DEVICE_TYPES, type DeviceType, HISTORY_METRIC, type Metric } from "../../shared/schema.js";
import type { ApiContext } from "../context.js";
import { ambiguousDevice, deviceNotFound } from "../errors.js";
import { type DeviceInfo, queryDevices } from "../flux/devices.js";
import type { FluxContext, Scope } from "../flux/scope.js";
import { validationHook } from "../middleware/errors.js";
import { type TimeRange, parseRange } from "../time-range.js";

export interface ApiLimits {
  maxPoints: number;
  maxRangeMs: number;
  deviceLookbackMs: number;
}

export interface RouteDeps {
  flux: FluxContext;
  limits: ApiLimits;
  now: () => number;
}

export function newRouter(): OpenAPIHono<ApiContext> {
  return new OpenAPIHono<ApiContext>({ defaultHook: validationHook });
}

export function scopeOf(c: Context<ApiContext>) {
  const p = c.get("principal");
  return { client: p.kind === "client" ? p.client : null, admin: p.kind === "admin" };
}

export function lookbackRange(deps: RouteDeps, now = deps.now()): TimeRange {
  return { startMs: now - deps.limits.deviceLookbackMs, stopMs: now };
}

/**
 * The device (site, client, id) the request names, if the scope may read it;
 * otherwise the same 404 as for an id nobody has. A client key reads only its
 * own client (naming another is that 404). An admin names the client with the
 * `client` parameter, or may leave it out while only one client holds the id
 * within the lookback; several is a 409 listing them, never a mix. The site
 * likewise: `site` names it (empty: the points without a site tag), needed
 * only when the id is held at several sites.
 */
export async function requireDevice(
  deps: RouteDeps,
  scope: Scope,
  id: string,
  client?: string,
  site?: string,
): Promise<DeviceInfo> {
  if (client !== undefined && scope.client !== null && client !== scope.client) throw deviceNotFound();
  const found = await queryDevices(
    deps.flux,
    { client: client ?? scope.client, site: site ?? scope.site },
    lookbackRange(deps),
    id,
  );
  if (found.length === 0) throw deviceNotFound();
  if (found.length > 1) throw ambiguousDevice(id, found);
  return found[0]!;
}

/** The scope of the data queries about one resolved device: its own client and site, whoever asks. */
export function deviceScope(device: DeviceInfo): Scope {
  return { client: device.client, site: device.site };
}

/** The caller's scope narrowed to one site when the request names one (`site`; empty = no site tag). */
export function siteScope(scope: Scope, site: string | undefined): Scope {
  return site === undefined ? scope : { ...scope, site };
}

export function rangeOf(
  deps: RouteDeps,
  query: { start?: string | undefined; stop?: string | undefined },
  defaultStart = "-1h",
  now = deps.now(),
): TimeRange {
  return parseRange(query, { maxRangeMs: deps.limits.maxRangeMs, defaultStart }, now);
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** The metric a device's history carries; battery_level for a type the schema does not know. */
export function mainMetric(type: string): Metric {
  return (DEVICE_TYPES as readonly string[]).includes(type)
    ? HISTORY_METRIC[type as DeviceType]
    : "battery_level";
}

/** A device as answers show it; `site` only when its points carry one (a single site's answers are unchanged). */
export function deviceJson(d: DeviceInfo) {
  return {
    id: d.id,
    client: d.client,
    ...(d.site ? { site: d.site } : {}),
    type: d.type,
    last_seen: d.lastSeen,
    last_reading: d.last,
  };
}
