// The simulator's options, validated the same way whether they come from
// flags, the environment or a test calling startSimulator().
import { z } from "zod";
import type { Now } from "./clock.js";
import { faultPatchSchema, type FaultPatch } from "./faults.js";

export const SIGNAL_MODES = ["faithful", "realistic"] as const;
export type SignalMode = (typeof SIGNAL_MODES)[number];

// GET /iot_objects materialises the whole list (about 70 bytes a device) for one answer.
export const MAX_DEVICES = 1_000_000;

export interface SimulatorOptions {
  /** 0 = any free port (the default in-process). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Generated fleet of this many devices; absent = the reference's six objects. */
  devices?: number;
  /** Clients of the generated fleet, 1..devices; default half the devices, rounded up. */
  clients?: number;
  /** uint32; absent = a random seed (shown by /_sim/config, so a run can be replayed). */
  seed?: number;
  /** Default "faithful". */
  signal?: SignalMode;
  /** Realistic mode: chance that an anomaly episode starts at a device-minute (default 0.005, saturates at 0.05). */
  anomalyRate?: number;
  /** Simulated time runs this many times faster than `now` (default 1). */
  timeScale?: number;
  /** Time source in ms since the epoch (default the wall clock); tests inject their own. */
  now?: Now;
  /** Serve history's ?limit= and ?since= (default false: the upstream ignores query strings). */
  historyQuery?: boolean;
  /** Initial faults (default none). */
  faults?: FaultPatch;
}

const optionsSchema = z
  .strictObject({
    port: z.number().int().min(0).max(65535).default(0),
    host: z.string().min(1).default("127.0.0.1"),
    devices: z.number().int().min(1).max(MAX_DEVICES).optional(),
    clients: z.number().int().min(1).max(MAX_DEVICES).optional(),
    seed: z.number().int().min(0).max(0xffffffff).optional(),
    signal: z.enum(SIGNAL_MODES).default("faithful"),
    anomalyRate: z.number().min(0).max(1).default(0.005),
    timeScale: z.number().positive().max(1_000_000).default(1),
    now: z.custom<Now>((v) => typeof v === "function").optional(),
    historyQuery: z.boolean().default(false),
    faults: faultPatchSchema.default({}),
  })
  .refine((o) => o.clients === undefined || o.devices !== undefined, {
    message: "clients needs devices (the reference fleet has its own three clients)",
    path: ["clients"],
  })
  .refine((o) => o.clients === undefined || o.devices === undefined || o.clients <= o.devices, {
    message: "clients must not exceed devices",
    path: ["clients"],
  });

export type ResolvedOptions = z.infer<typeof optionsSchema>;

/** Throws a RangeError naming every bad option. */
export function resolveOptions(options: SimulatorOptions): ResolvedOptions {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) {
    const why = parsed.error.issues.map((i) => `${i.path.join(".") || "options"}: ${i.message}`).join("; ");
    throw new RangeError(`invalid simulator options: ${why}`);
  }
  return parsed.data;
}
