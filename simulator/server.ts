// startSimulator(): the simulator as an in-process HTTP server (tests,
// benchmarks) or behind main.ts (the CLI).
import { randomInt } from "node:crypto";
import { setMaxListeners } from "node:events";
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { serve } from "@hono/node-server";
import { createSimulatorApp } from "./app.js";
import { realNow, scaledClock } from "./clock.js";
import { FaultInjector, type FaultConfig, type FaultPatch, faultPatchSchema } from "./faults.js";
import { defaultClients, generatedFleet, referenceFleet } from "./fleet.js";
import { resolveOptions, type ResolvedOptions, type SimulatorOptions } from "./options.js";
import { mulberry32 } from "./random.js";
import { faithfulReadings, realisticReadings } from "./readings.js";

export type { SimulatorOptions } from "./options.js";
export type { FaultConfig, FaultPatch } from "./faults.js";

export interface RunningSimulator {
  readonly url: string;
  readonly port: number;
  /** The seed in use (the given one, or the random one picked at start). */
  readonly seed: number;
  readonly options: Readonly<ResolvedOptions>;
  /** Merges a partial fault config (validated; throws RangeError) and returns the effective one. */
  setFaults(patch: FaultPatch): FaultConfig;
  /** Removes every fault. */
  healFaults(): FaultConfig;
  faults(): FaultConfig;
  stop(): Promise<void>;
}

// Separate streams, so turning a fault on does not change the values served.
const VALUES_STREAM = 0x5eed;
const FAULTS_STREAM = 0xfa17;

export async function startSimulator(input: SimulatorOptions = {}): Promise<RunningSimulator> {
  const options = resolveOptions(input);
  const seed = options.seed ?? randomInt(0, 2 ** 32 - 1);
  const fleet =
    options.devices === undefined
      ? referenceFleet()
      : generatedFleet(options.devices, options.clients ?? defaultClients(options.devices));
  const now = scaledClock(options.now ?? realNow, options.timeScale);
  const readings =
    options.signal === "realistic"
      ? realisticReadings(seed, options.anomalyRate)
      : faithfulReadings(mulberry32(seed ^ VALUES_STREAM));
  const stopping = new AbortController();
  // Every delayed or hanging request listens for the stop: as many listeners as requests in flight.
  setMaxListeners(0, stopping.signal);
  const faults = new FaultInjector(options.faults, mulberry32(seed ^ FAULTS_STREAM), stopping.signal);
  const app = createSimulatorApp({ options, seed, fleet, now, readings, faults });

  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: options.port, hostname: options.host }) as Server;
    s.once("error", reject);
    s.once("listening", () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  const urlHost = host === "0.0.0.0" || host === "[::]" ? "127.0.0.1" : host;

  let stopped: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    seed,
    options,
    setFaults(patch) {
      const parsed = faultPatchSchema.safeParse(patch);
      if (!parsed.success) throw new RangeError(`invalid faults: ${parsed.error.message}`);
      return faults.update(parsed.data);
    },
    healFaults: () => faults.heal(),
    faults: () => faults.config,
    stop() {
      stopped ??= new Promise<void>((resolve, reject) => {
        stopping.abort(); // ends pending hangs and delays
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
      return stopped;
    },
  };
}
