// Shared by the simulator's integration tests: a controllable clock and JSON fetching.
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { startSimulator, type RunningSimulator, type SimulatorOptions } from "../../simulator/server.js";

export const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$/;

/** Served timestamps are naive UTC. */
export function parseServed(ts: string): number {
  return Date.parse(`${ts.slice(0, 23)}Z`) + Number(ts.slice(23)) / 1000;
}

export interface TestClock {
  now: () => number;
  set(ms: number): void;
  advance(ms: number): void;
}

export function testClock(start = Date.UTC(2026, 10, 26, 10, 15, 30, 123.456)): TestClock {
  let t = start;
  return {
    now: () => t,
    set: (ms) => {
      t = ms;
    },
    advance: (ms) => {
      t += ms;
    },
  };
}

/** Starts a simulator for the calling file; read `.current` inside tests. */
export function useSimulator(options: SimulatorOptions): { readonly current: RunningSimulator } {
  let sim: RunningSimulator | undefined;
  beforeAll(async () => {
    sim = await startSimulator(options);
  });
  afterAll(async () => {
    await sim?.stop();
  });
  return {
    get current(): RunningSimulator {
      if (!sim) throw new Error("simulator not started");
      return sim;
    },
  };
}

export async function getJson<T = unknown>(url: string): Promise<{ status: number; body: T; type: string }> {
  const res = await fetch(url);
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) as T, type: res.headers.get("content-type") ?? "" };
}

export interface Reading {
  id: string;
  client: string;
  type: string;
  metrics: {
    temperature: number | null;
    humidity: number | null;
    battery_level: number;
    activity_level: number | null;
  };
  timestamp: string;
}

export interface History {
  id: string;
  client: string;
  type: string;
  history: { timestamp: string; value: number }[];
}

export function isTwoDecimalFloat(v: unknown): boolean {
  return typeof v === "number" && Number.isFinite(v) && Math.abs(Math.round(v * 100) / 100 - v) < 1e-9;
}

const repo = join(import.meta.dirname, "..", "..");

export interface Spawned {
  child: ChildProcess;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output: () => string;
}

export function spawnSimulator(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  nodeArgs: string[] = [],
): Spawned {
  // `node --import tsx` rather than `npx tsx`: one process, so SIGTERM reaches the
  // simulator itself (npm exec dies of the signal, exit 143, and orphans its child).
  const child = spawn(process.execPath, [...nodeArgs, "--import", "tsx", "simulator/main.ts", ...args], {
    cwd: repo,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (c: Buffer) => (output += c.toString()));
  child.stderr?.on("data", (c: Buffer) => (output += c.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  return { child, exit, output: () => output };
}

export async function waitForStartLine(p: Spawned, timeoutMs = 30_000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const line = p
      .output()
      .split("\n")
      .find((l) => l.includes('"simulator listening"'));
    if (line) return JSON.parse(line) as Record<string, unknown>;
    if (p.child.exitCode !== null) throw new Error(`simulator exited early:\n${p.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`simulator did not start in time:\n${p.output()}`);
}
