// Validation of the IoT API's answers. Each entry is checked on its own: a
// malformed entry is dropped with a reason, its neighbours are kept.
import { z } from "zod";
import { DEVICE_TYPES, type DeviceType } from "../../shared/schema.js";

export const deviceSchema = z.object({
  id: z.string().min(1).max(200),
  client: z.string().min(1).max(200),
  type: z.enum(DEVICE_TYPES),
});
export type Device = z.infer<typeof deviceSchema>;

const finite = z.number().finite();

export const currentReadingSchema = z.object({
  id: z.string().min(1),
  client: z.string().min(1),
  type: z.enum(DEVICE_TYPES),
  metrics: z.object({
    temperature: finite.nullable(),
    humidity: finite.nullable(),
    battery_level: finite.nullable(),
    activity_level: finite.nullable(),
  }),
  timestamp: z.string(),
});
export type CurrentReading = z.infer<typeof currentReadingSchema>;

export const historyEntrySchema = z.object({ timestamp: z.string(), value: finite });
export type HistoryEntry = z.infer<typeof historyEntrySchema>;

export const historyEnvelopeSchema = z.object({
  id: z.string().min(1),
  client: z.string().min(1),
  type: z.enum(DEVICE_TYPES),
  history: z.array(z.unknown()),
});

export interface Rejected {
  reason: string;
  /** The id a rejected device entry still carried, if any. */
  id?: string;
}

/** A short reason from a zod error: the first issue's path and message. */
export function reasonOf(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return "invalid";
  const path = issue.path.length ? issue.path.join(".") : "(root)";
  return `${path}: ${issue.message}`;
}

export interface ParsedList<T> {
  items: T[];
  rejected: Rejected[];
}

export function parseDeviceList(body: unknown): ParsedList<Device> {
  if (!Array.isArray(body)) return { items: [], rejected: [{ reason: "device list is not a JSON array" }] };
  const items: Device[] = [];
  const rejected: Rejected[] = [];
  const seen = new Set<string>();
  for (const raw of body) {
    const parsed = deviceSchema.safeParse(raw);
    if (!parsed.success) {
      const id = (raw as { id?: unknown } | null)?.id;
      rejected.push({
        reason: `device entry ${reasonOf(parsed.error)}`,
        ...(typeof id === "string" ? { id } : {}),
      });
    } else if (seen.has(parsed.data.id)) rejected.push({ reason: `duplicate device id ${parsed.data.id}` });
    else {
      seen.add(parsed.data.id);
      items.push(parsed.data);
    }
  }
  return { items, rejected };
}

export function isDeviceType(value: string): value is DeviceType {
  return (DEVICE_TYPES as readonly string[]).includes(value);
}
