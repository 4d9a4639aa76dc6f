// The edge server's CPU, memory and disk usage in percent, the gauges the
// course names (edge_cpu_usage, edge_memory_usage, edge_disk_usage). Values
// are read at scrape time, so they cost nothing between scrapes.
import { statfsSync } from "node:fs";
import { readFileSync } from "node:fs";
import { cpus, freemem, totalmem } from "node:os";
import { Gauge, type Registry } from "prom-client";

function cpuTimes() {
  let idle = 0;
  let total = 0;
  for (const cpu of cpus()) {
    const t = cpu.times;
    idle += t.idle;
    total += t.user + t.nice + t.sys + t.idle + t.irq;
  }
  return { idle, total };
}

/** MemAvailable counts reclaimable cache as free, as `free` does; os.freemem() does not. */
function memoryUsedPercent(): number {
  try {
    const info = readFileSync("/proc/meminfo", "utf8");
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, "m").exec(info)?.[1]);
    const total = kb("MemTotal");
    const available = kb("MemAvailable");
    if (total > 0 && Number.isFinite(available)) return (100 * (total - available)) / total;
  } catch {
    // not Linux: fall through
  }
  return (100 * (totalmem() - freemem())) / totalmem();
}

export function registerEdgeMetrics(registry: Registry, diskPath: string): void {
  let last = cpuTimes();
  new Gauge({
    name: "edge_cpu_usage",
    help: "CPU usage of the edge host in percent, since the previous scrape",
    registers: [registry],
    collect() {
      const now = cpuTimes();
      const total = now.total - last.total;
      const idle = now.idle - last.idle;
      last = now;
      if (total > 0) this.set((100 * (total - idle)) / total);
    },
  });
  new Gauge({
    name: "edge_memory_usage",
    help: "Memory usage of the edge host in percent",
    registers: [registry],
    collect() {
      this.set(memoryUsedPercent());
    },
  });
  new Gauge({
    name: "edge_disk_usage",
    help: "Usage in percent of the file system holding the service's data",
    labelNames: ["path"],
    registers: [registry],
    collect() {
      try {
        const s = statfsSync(diskPath);
        this.labels(diskPath).set((100 * (s.blocks - s.bfree)) / s.blocks);
      } catch {
        // path not there yet: report nothing rather than a wrong figure
      }
    },
  });
}
