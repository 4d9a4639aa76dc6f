// The peer scenario's targets and table (issue 13): the ingester beside
// Telegraf on the same simulator and InfluxDB. Pure; unit-tested.
import type { PeerResults, PeerRun, TargetResult } from "./results.js";

const fmt = (n: number | undefined, digits = 0) =>
  n === undefined || !Number.isFinite(n)
    ? "n/a"
    : n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** Fleet sizes with an RSS ceiling for the ingester (MB). */
const RSS_CEILING_MB: Record<number, number> = { 100: 100, 10_000: 250 };

function pairs(
  p: PeerResults,
): { devices: number; ingester?: PeerRun; telegraf?: PeerRun; floor?: PeerRun }[] {
  const sizes = [...new Set(p.runs.map((r) => r.devices))].sort((a, b) => a - b);
  const ok = (r: PeerRun | undefined) => (r && !r.error ? r : undefined);
  return sizes.map((devices) => {
    const ingester = ok(p.runs.find((r) => r.devices === devices && r.collector === "ingester"));
    const telegraf = ok(p.runs.find((r) => r.devices === devices && r.collector === "telegraf"));
    const floor = ok(p.runs.find((r) => r.devices === devices && r.collector === "node-floor"));
    return {
      devices,
      ...(ingester ? { ingester } : {}),
      ...(telegraf ? { telegraf } : {}),
      ...(floor ? { floor } : {}),
    };
  });
}

export function peerTargets(p: PeerResults): TargetResult[] {
  const out: TargetResult[] = [];
  for (const { devices, ingester, telegraf, floor } of pairs(p)) {
    const ratio =
      ingester?.cpuMsPerRequest !== undefined && telegraf?.cpuMsPerRequest !== undefined
        ? ingester.cpuMsPerRequest / telegraf.cpuMsPerRequest
        : undefined;
    out.push({
      name: `Ingester CPU per upstream request / Telegraf's, ${fmt(devices)} devices`,
      target: "<= 1.00",
      ...(ratio === undefined || !Number.isFinite(ratio)
        ? { value: "not measured", met: null }
        : {
            value: `${fmt(ratio, 2)} (${fmt(ingester!.cpuMsPerRequest, 3)} vs ${fmt(telegraf!.cpuMsPerRequest, 3)} ms${floor ? `; node:http alone ${fmt(floor.cpuMsPerRequest, 3)} ms` : ""})`,
            met: ratio <= 1,
          }),
    });
    const steadyRatio =
      ingester?.steady && telegraf?.steady
        ? ingester.steady.cpuMsPerRequest / telegraf.steady.cpuMsPerRequest
        : undefined;
    if (steadyRatio !== undefined)
      out.push({
        name: `Same, from period ${ingester!.steady!.afterPeriods} (steady state), ${fmt(devices)} devices`,
        target: "<= 1.00",
        ...(Number.isFinite(steadyRatio)
          ? {
              value: `${fmt(steadyRatio, 2)} (${fmt(ingester!.steady!.cpuMsPerRequest, 3)} vs ${fmt(telegraf!.steady!.cpuMsPerRequest, 3)} ms${floor?.steady ? `; node:http alone ${fmt(floor.steady.cpuMsPerRequest, 3)} ms` : ""})`,
              met: steadyRatio <= 1,
            }
          : { value: "not measured", met: null }),
      });
    const ceiling = RSS_CEILING_MB[devices];
    if (ceiling !== undefined)
      out.push({
        name: `Ingester peak RSS (compiled), ${fmt(devices)} devices`,
        target: `<= ${ceiling} MB`,
        ...(ingester?.peakRssMb === undefined
          ? { value: "not measured", met: null }
          : { value: `${fmt(ingester.peakRssMb)} MB`, met: ingester.peakRssMb <= ceiling }),
      });
  }
  return out;
}

export function renderPeer(p: PeerResults): string[] {
  const lines = [
    "",
    `**7. Peer: the ingester beside Telegraf** (${p.telegraf ?? "Telegraf not built"}; bench/peer/telegraf.toml; each collector alone in turn, own simulator and bucket, one gather per upstream minute)`,
    "",
    "| Devices | Collector | Period | CPU s per period per 1,000 devices | Requests | CPU ms per request | Peak RSS | Median cycle | Stored per served | Lost |",
    "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const r of p.runs) {
    lines.push(
      r.error
        ? `| ${fmt(r.devices)} | ${r.collector} | ${r.periodS} s | ${r.error} | | | | | | |`
        : `| ${fmt(r.devices)} | ${r.collector} | ${r.periodS} s | ${fmt(r.cpuSPerPeriodPer1000, 2)} | ${fmt(r.upstreamRequests)} | ${fmt(r.cpuMsPerRequest, 3)} | ${fmt(r.peakRssMb)} MB | ${r.cycleMs === undefined ? "n/a" : `${fmt(r.cycleMs)} ms`} | ${fmt(r.storedPerServed, 3)} | ${fmt(r.lostDeviceMinutes)} |`,
    );
    if (r.steady)
      lines.push(
        `| ${fmt(r.devices)} | ${r.collector}, from period ${r.steady.afterPeriods} | ${r.periodS} s | ${fmt(r.steady.cpuSPerPeriodPer1000, 2)} | ${fmt(r.steady.upstreamRequests)} | ${fmt(r.steady.cpuMsPerRequest, 3)} | | | | |`,
      );
  }
  return lines;
}
