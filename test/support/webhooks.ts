// Test helpers for webhooks: the receiver process (webhook-receiver.ts) and
// what it recorded.
import { existsSync, readFileSync } from "node:fs";
import { type ServiceProcess, startService } from "./processes.js";
import type { ReceivedRequest } from "./webhook-receiver.js";

export type { ReceivedRequest } from "./webhook-receiver.js";

/** Starts the receiver on `port` (fixed, so a restart listens where the ingester sends). */
export async function startReceiver(port: number, file: string, secret: string): Promise<ServiceProcess> {
  const proc = startService("test/support/webhook-receiver.ts", {
    PORT: String(port),
    RECEIVER_FILE: file,
    WEBHOOK_SECRET: secret,
  });
  await proc.waitForLog((l) => l.msg === "listening");
  return proc;
}

export function readReceived(file: string): ReceivedRequest[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as ReceivedRequest);
}

/** Event ids acknowledged (2xx) on `path`, in arrival order, duplicates included. */
export function acknowledgedIds(file: string, path: string): string[] {
  return readReceived(file)
    .filter((r) => r.path === path && r.status < 300)
    .flatMap((r) => r.ids);
}

export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

export async function scrapeMetric(port: number, name: string, labels: Record<string, string> = {}) {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = text
    .split("\n")
    .find((l) => (l.startsWith(`${name} `) || l.startsWith(`${name}{`)) && want.every((w) => l.includes(w)));
  return line ? Number(line.split(" ").pop()) : NaN;
}
