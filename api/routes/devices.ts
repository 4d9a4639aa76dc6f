// GET /v1/devices and GET /v1/devices/{id}: the caller's devices, type, last
// reading and last seen.
import { createRoute, z } from "@hono/zod-openapi";
import { queryDevices } from "../flux/devices.js";
import {
  clientParam,
  siteFilterParam,
  siteParam,
  conflictResponse,
  deviceBody,
  deviceParams,
  errorResponses,
  notFoundResponse,
  scopeBody,
  security,
} from "../schemas.js";
import {
  type RouteDeps,
  deviceJson,
  lookbackRange,
  newRouter,
  requireDevice,
  scopeOf,
  siteScope,
} from "./common.js";

const listRoute = createRoute({
  method: "get",
  path: "/v1/devices",
  tags: ["devices"],
  summary: "The calling client's devices (an admin key: every client's)",
  description:
    "A device is the pair (client, id), and its site when edge sites feed this InfluxDB: when several clients (or sites) hold the same id, each is listed as a device of its own.",
  security,
  request: { query: z.object({ site: siteFilterParam }) },
  responses: {
    200: {
      description: "Devices with a reading within API_DEVICE_LOOKBACK (default 30 days)",
      content: {
        "application/json": {
          schema: z.object({ scope: scopeBody, count: z.number().int(), devices: z.array(deviceBody) }),
        },
      },
    },
    ...errorResponses,
  },
});

const getRoute = createRoute({
  method: "get",
  path: "/v1/devices/{id}",
  tags: ["devices"],
  summary: "One device: type, last reading, last seen",
  security,
  request: { params: deviceParams, query: z.object({ client: clientParam, site: siteParam }) },
  responses: {
    200: {
      description: "The device",
      content: { "application/json": { schema: z.object({ scope: scopeBody, device: deviceBody }) } },
    },
    ...errorResponses,
    ...notFoundResponse,
    ...conflictResponse,
  },
});

export function devicesRouter(deps: RouteDeps) {
  return newRouter()
    .openapi(listRoute, async (c) => {
      const scope = siteScope(c.get("scope"), c.req.valid("query").site);
      const devices = await queryDevices(deps.flux, scope, lookbackRange(deps));
      return c.json({ scope: scopeOf(c), count: devices.length, devices: devices.map(deviceJson) }, 200);
    })
    .openapi(getRoute, async (c) => {
      const device = await requireDevice(
        deps,
        c.get("scope"),
        c.req.valid("param").id,
        c.req.valid("query").client,
        c.req.valid("query").site,
      );
      return c.json({ scope: scopeOf(c), device: deviceJson(device) }, 200);
    });
}
