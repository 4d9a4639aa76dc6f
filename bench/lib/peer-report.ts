// The peer scenario's targets and table (issue 13): the ingester beside
// Telegraf on the same simulator and InfluxDB. Pure; unit-tested.
import type { PeerResults, PeerRun, TargetResult } from "./results.js";
import { percentile } from "./stats.js";

const fmt = (n: number | undefined, digits = 0) =>
  n === undefined || !Number.isFinite(n)
    ? "n/a"
    : n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** Fleet sizes with an RSS ceiling for the ingester (MB). */
const RSS_CEILING_MB: Record<number, number> = { 100: 100, 10_000: 250 };

interface SizeRuns {
  devices: number;
  /** Round 1's runs: the full measure (stored per served, steady state, node:http's floor). */
  ingester?: PeerRun;
  telegraf?: PeerRun;
  floor?: PeerRun;
  /** Ingester/Telegraf CPU per request of every round where both ran, in round order. */
  rounds: { round: number; ingester: PeerRun; telegraf: PeerRun; ratio: number }[];
  /** The highest peak RSS of the ingester over all its runs, and how many runs. */
  peakRss?: { mb: number; runs: number };
}

const roundOf = (r: PeerRun) => r.round ?? 1;

function bySize(p: PeerResults): SizeRuns[] {
  const sizes = [...new Set(p.runs.map((r) => r.devices))].sort((a, b) => a - b);
  const ok = p.runs.filter((r) => !r.error);
  return sizes.map((devices) => {
    const find = (collector: PeerRun["collector"], round: number) =>
      ok.find((r) => r.devices === devices && r.collector === collector && roundOf(r) === round);
    const ingester = find("ingester", 1);
    const telegraf = find("telegraf", 1);
    const floor = find("node-floor", 1);
    const roundNumbers = [...new Set(ok.filter((r) => r.devices === devices).map(roundOf))].sort(
      (a, b) => a - b,
    );
    const rounds = roundNumbers.flatMap((round) => {
      const i = find("ingester", round);
      const t = find("telegraf", round);
      return i?.cpuMsPerRequest !== undefined && t?.cpuMsPerRequest !== undefined
        ? [{ round, ingester: i, telegraf: t, ratio: i.cpuMsPerRequest / t.cpuMsPerRequest }]
        : [];
    });
    const rss = ok
      .filter((r) => r.devices === devices && r.collector === "ingester" && r.peakRssMb !== undefined)
      .map((r) => r.peakRssMb!);
    return {
      devices,
      ...(ingester ? { ingester } : {}),
      ...(telegraf ? { telegraf } : {}),
      ...(floor ? { floor } : {}),
      rounds,
      ...(rss.length ? { peakRss: { mb: Math.max(...rss), runs: rss.length } } : {}),
    };
  });
}

const range = (values: number[], digits: number) => {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  return lo === hi ? fmt(lo, digits) : `${fmt(lo, digits)}-${fmt(hi, digits)}`;
};

/**
 * The first window's ratio: one round's, or with several rounds their median
 * (judged), every round's ratio and the spread of each collector's cost.
 */
function firstWindowRatio(s: SizeRuns): { value: string; met: boolean | null } {
  const measured = s.rounds.filter((r) => Number.isFinite(r.ratio));
  if (measured.length === 0) return { value: "not measured", met: null };
  const floor = s.floor ? `; node:http alone ${fmt(s.floor.cpuMsPerRequest, 3)} ms` : "";
  if (measured.length === 1) {
    const [{ ratio, ingester, telegraf }] = measured as [(typeof measured)[number]];
    return {
      value: `${fmt(ratio, 2)} (${fmt(ingester.cpuMsPerRequest, 3)} vs ${fmt(telegraf.cpuMsPerRequest, 3)} ms${floor})`,
      met: ratio <= 1,
    };
  }
  const ratios = measured.map((r) => r.ratio);
  const median = percentile(ratios, 50);
  const under = ratios.filter((r) => r <= 1).length;
  return {
    value:
      `${fmt(median, 2)}, median of ${measured.length} rounds (${ratios.map((r) => fmt(r, 2)).join(", ")}; ${under} of ${measured.length} at most 1.00; ` +
      `ingester ${range(
        measured.map((r) => r.ingester.cpuMsPerRequest!),
        3,
      )} vs Telegraf ${range(
        measured.map((r) => r.telegraf.cpuMsPerRequest!),
        3,
      )} ms${floor})`,
    met: median <= 1,
  };
}

export function peerTargets(p: PeerResults): TargetResult[] {
  const out: TargetResult[] = [];
  for (const s of bySize(p)) {
    const { devices, ingester, telegraf, floor } = s;
    out.push({
      name: `Ingester CPU per upstream request / Telegraf's, ${fmt(devices)} devices`,
      target: "<= 1.00",
      ...firstWindowRatio(s),
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
        ...(s.peakRss === undefined
          ? { value: "not measured", met: null }
          : {
              value: `${fmt(s.peakRss.mb)} MB${s.peakRss.runs > 1 ? `, highest of ${s.peakRss.runs} runs` : ""}`,
              met: s.peakRss.mb <= ceiling,
            }),
      });
  }
  return out;
}

export function renderPeer(p: PeerResults): string[] {
  const rounds = Math.max(1, ...p.runs.map(roundOf));
  const lines = [
    "",
    `**7. Peer: the ingester beside Telegraf** (${p.telegraf ?? "Telegraf not built"}; bench/peer/telegraf.toml; each collector alone in turn, own simulator and bucket, one gather per upstream minute${rounds > 1 ? `; ${rounds} rounds, the ingester and Telegraf alternating which goes first, rounds after the first measuring the first window only` : ""})`,
    "",
    "| Devices | Collector | Period | CPU s per period per 1,000 devices | Requests | CPU ms per request | Peak RSS | Median cycle | Stored per served | Lost |",
    "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const r of p.runs) {
    const collector = roundOf(r) > 1 ? `${r.collector}, round ${roundOf(r)}` : r.collector;
    lines.push(
      r.error
        ? `| ${fmt(r.devices)} | ${collector} | ${r.periodS} s | ${r.error} | | | | | | |`
        : `| ${fmt(r.devices)} | ${collector} | ${r.periodS} s | ${fmt(r.cpuSPerPeriodPer1000, 2)} | ${fmt(r.upstreamRequests)} | ${fmt(r.cpuMsPerRequest, 3)} | ${fmt(r.peakRssMb)} MB | ${r.cycleMs === undefined ? "n/a" : `${fmt(r.cycleMs)} ms`} | ${fmt(r.storedPerServed, 3)} | ${fmt(r.lostDeviceMinutes)} |`,
    );
    if (r.steady)
      lines.push(
        `| ${fmt(r.devices)} | ${r.collector}, from period ${r.steady.afterPeriods} | ${r.periodS} s | ${fmt(r.steady.cpuSPerPeriodPer1000, 2)} | ${fmt(r.steady.upstreamRequests)} | ${fmt(r.steady.cpuMsPerRequest, 3)} | | | | |`,
      );
  }
  return lines;
}
