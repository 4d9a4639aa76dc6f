// The fleet: the reference's six objects by default, or a generated fleet of
// any size whose members are computed from their index on demand (nothing is
// stored per device, so 20,000 devices cost no more memory than 6).
import { DEVICE_TYPES, type DeviceType } from "../shared/schema.js";

export { DEVICE_TYPES, type DeviceType };

export interface SimDevice {
  /** 1-based position in the fleet; seeds every per-device value. */
  readonly index: number;
  readonly id: string;
  readonly client: string;
  readonly type: DeviceType;
}

export interface Fleet {
  readonly size: number;
  readonly clients: number;
  /** "reference" = the upstream's six objects; "generated" = --devices/--clients. */
  readonly kind: "reference" | "generated";
  /** 1-based; undefined outside 1..size. */
  at(index: number): SimDevice | undefined;
  byId(id: string): SimDevice | undefined;
  /** Devices of a client, in index order; empty when the client is unknown. */
  byClient(client: string): SimDevice[];
  all(): Iterable<SimDevice>;
}

/** The upstream's table, verbatim. */
const REFERENCE: readonly (readonly [string, DeviceType])[] = [
  ["client_1", "temperature_sensor"],
  ["client_1", "humidity_sensor"],
  ["client_2", "activity_tracker"],
  ["client_2", "temperature_sensor"],
  ["client_3", "humidity_sensor"],
  ["client_3", "activity_tracker"],
];

/** Parses `<prefix>_<n>` with n a canonical positive integer (no sign, no leading zero). */
export function parseIndex(prefix: string, id: string): number | undefined {
  if (!id.startsWith(`${prefix}_`)) return undefined;
  const digits = id.slice(prefix.length + 1);
  if (!/^[1-9]\d{0,15}$/.test(digits)) return undefined;
  return Number(digits);
}

function* iterate(fleet: Fleet): Iterable<SimDevice> {
  for (let i = 1; i <= fleet.size; i++) yield fleet.at(i)!;
}

export function referenceFleet(): Fleet {
  const devices: SimDevice[] = REFERENCE.map(([client, type], i) => ({
    index: i + 1,
    id: `device_${i + 1}`,
    client,
    type,
  }));
  const fleet: Fleet = {
    size: devices.length,
    clients: 3,
    kind: "reference",
    at: (index) => devices[index - 1],
    byId: (id) => devices.find((d) => d.id === id),
    byClient: (client) => devices.filter((d) => d.client === client),
    all: () => iterate(fleet),
  };
  return fleet;
}

/**
 * device_i belongs to client_(1 + (i-1) % clients). Its type cycles with
 * floor((i-1) / clients), so each client with three or more devices has
 * every type (cycling on i itself would give a client a single type when
 * `clients` is a multiple of 3).
 */
export function generatedDevice(index: number, clients: number): SimDevice {
  return {
    index,
    id: `device_${index}`,
    client: `client_${1 + ((index - 1) % clients)}`,
    type: DEVICE_TYPES[Math.floor((index - 1) / clients) % DEVICE_TYPES.length]!,
  };
}

export function generatedFleet(devices: number, clients: number): Fleet {
  if (!Number.isSafeInteger(devices) || devices < 1)
    throw new RangeError("devices must be a positive integer");
  if (!Number.isSafeInteger(clients) || clients < 1 || clients > devices)
    throw new RangeError("clients must be an integer in 1..devices");
  const at = (index: number) =>
    Number.isInteger(index) && index >= 1 && index <= devices ? generatedDevice(index, clients) : undefined;
  const fleet: Fleet = {
    size: devices,
    clients,
    kind: "generated",
    at,
    byId: (id) => {
      const index = parseIndex("device", id);
      return index === undefined ? undefined : at(index);
    },
    byClient: (client) => {
      const c = parseIndex("client", client);
      const out: SimDevice[] = [];
      if (c === undefined || c > clients) return out;
      for (let i = c; i <= devices; i += clients) out.push(generatedDevice(i, clients));
      return out;
    },
    all: () => iterate(fleet),
  };
  return fleet;
}

/** The default number of clients for a generated fleet: two objects each, like the reference. */
export function defaultClients(devices: number): number {
  return Math.max(1, Math.ceil(devices / 2));
}
