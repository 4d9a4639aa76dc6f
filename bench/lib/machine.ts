// What the results were measured on, and the ingester's memory from /proc.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { availableParallelism, loadavg, release, totalmem, type } from "node:os";
import type { MachineInfo } from "./results.js";

export async function machineInfo(influxd: string): Promise<MachineInfo> {
  let cpuModel = "unknown";
  try {
    const cpuinfo = await readFile("/proc/cpuinfo", "utf8");
    cpuModel = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? cpuModel;
  } catch {
    // not Linux
  }
  return {
    nproc: availableParallelism(),
    memoryMb: Math.round(totalmem() / 2 ** 20),
    cpuModel,
    node: process.version,
    influxd,
    os: `${type()} ${release()}`,
    loadAtStart: loadavg()[0]!,
  };
}

/** VmHWM (peak resident set) and VmRSS of a process, in MB; undefined when it is gone. */
export async function processMemory(pid: number): Promise<{ peakMb: number; rssMb: number } | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, "utf8");
    const kb = (field: string) =>
      Number(new RegExp(`^${field}:\\s*(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN);
    return { peakMb: kb("VmHWM") / 1024, rssMb: kb("VmRSS") / 1024 };
  } catch {
    return undefined;
  }
}

/** CPU seconds (user + system) a process has used so far; undefined when it is gone. */
export async function cpuSeconds(pid: number): Promise<number | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
  } catch {
    return undefined;
  }
}

/** Waits until `pid` uses less than `maxCores` of CPU over a 2 s window, or `timeoutMs` passed. */
export async function waitForIdle(
  pid: number,
  maxCores: number,
  timeoutMs: number,
): Promise<{ idle: boolean; ms: number }> {
  const started = performance.now();
  let before = await cpuSeconds(pid);
  while (before !== undefined && performance.now() - started < timeoutMs) {
    await new Promise((r) => setTimeout(r, 2000));
    const now = await cpuSeconds(pid);
    if (now === undefined) break;
    if ((now - before) / 2 < maxCores) return { idle: true, ms: performance.now() - started };
    before = now;
  }
  return { idle: false, ms: performance.now() - started };
}

/** Preload that writes a CPU profile of a child process into BENCH_PROFILE_DIR (see cpu-profile.js). */
export const PROFILE_PRELOAD = join(import.meta.dirname, "cpu-profile.js");
