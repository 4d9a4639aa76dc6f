// What the simulator's routers share: the parts they serve from, the Hono
// environment, and the error shape of the upstream ({"error": ...}).
import type { HttpBindings } from "@hono/node-server";
import type { Context } from "hono";
import type { Now } from "../clock.js";
import type { FaultInjector } from "../faults.js";
import type { Fleet } from "../fleet.js";
import type { ResolvedOptions } from "../options.js";
import type { Readings } from "../readings.js";

export type SimEnv = { Bindings: HttpBindings };

export interface SimulatorParts {
  options: ResolvedOptions;
  seed: number;
  fleet: Fleet;
  now: Now;
  readings: Readings;
  faults: FaultInjector;
}

/** Requests received on the upstream's endpoints, by kind. */
export interface RequestCounts {
  list: number;
  current: number;
  history: number;
}

export function answerBadRequest(c: Context, error: string) {
  return c.json({ error }, 400);
}
