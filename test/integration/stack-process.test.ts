// The processes the stack runs, for real: the compiled entry points the
// Docker image runs (`node dist/<part>/main.js`, production dependencies
// only), and `npm run stack` from start to Ctrl-C.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { builtinModules } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { hashKey } from "../../api/auth/keys.js";
import { freePort } from "../../shared/net/free-port.js";
import { type Child, startChild, waitHealthy } from "../../scripts/stack-processes.js";
import { describeWithInflux, useTestBucket } from "../support/influx.js";
import { repo } from "../support/stack-dashboards.js";

const run = promisify(execFile);
const bucket = useTestBucket(import.meta.url);
const ENTRIES = [
  "dist/simulator/main.js",
  "dist/ingest/main.js",
  "dist/api/main.js",
  "dist/scripts/stack-healthcheck.js",
];

/** Bare package names imported by `file` and every relative module it reaches. */
function packagesReached(entry: string): Map<string, string> {
  const out = new Map<string, string>();
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(
      /(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)|^import\s+["']([^"']+)["']/gm,
    )) {
      const spec = (m[1] ?? m[2] ?? m[3])!;
      if (spec.startsWith(".")) visit(resolve(dirname(file), spec));
      else {
        const name = spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]!;
        out.set(name, file);
      }
    }
  };
  visit(join(repo, entry));
  return out;
}

async function pidGone(pid: number, timeoutMs = 10_000): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

describeWithInflux("compiled entry points (what the Docker image runs)", () => {
  const children: Child[] = [];
  let logDir = "";

  beforeAll(async () => {
    await run("npm", ["run", "build"], { cwd: repo });
    logDir = await mkdtemp(join(tmpdir(), "stack-dist-"));
  }, 180_000);

  afterAll(async () => {
    for (const c of children.reverse()) await c.stop(10_000);
    if (logDir) await rm(logDir, { recursive: true, force: true });
  });

  const start = (name: string, entry: string, args: string[], env: Record<string, string>) => {
    const child = startChild(name, process.execPath, [join(repo, entry), ...args], {
      cwd: repo,
      env: { ...process.env, NODE_ENV: "production", ...env },
      log: join(logDir, `${name}.log`),
    });
    children.push(child);
    return child;
  };

  it("import only production dependencies and Node built-ins", () => {
    const pkg = JSON.parse(readFileSync(join(repo, "package.json"), "utf8")) as {
      dependencies: Record<string, string>;
    };
    const builtins = new Set(builtinModules);
    for (const entry of ENTRIES) {
      expect(existsSync(join(repo, entry)), entry).toBe(true);
      for (const [name, file] of packagesReached(entry)) {
        const ok = name.startsWith("node:") || builtins.has(name) || name in pkg.dependencies;
        expect(ok, `${entry}: ${file} imports ${name}, not a production dependency`).toBe(true);
      }
    }
  });

  it("start from dist/, serve, pass their container health checks and stop cleanly", async () => {
    const b = bucket.current;
    const simPort = await freePort();
    const sim = start(
      "simulator",
      "dist/simulator/main.js",
      ["--port", String(simPort), "--signal", "realistic"],
      {},
    );
    await waitHealthy(`http://127.0.0.1:${simPort}/_sim/config`, sim, 30_000);

    const influx = {
      INFLUX_URL: b.server.url,
      INFLUX_TOKEN: b.server.token,
      INFLUX_ORG: b.server.org,
      INFLUX_BUCKET: b.name,
    };
    const metricsPort = await freePort();
    const ingest = start("ingest", "dist/ingest/main.js", [], {
      ...influx,
      IOT_API_URL: `http://127.0.0.1:${simPort}`,
      INGEST_CRON: "* * * * * *",
      INGEST_SPOOL_DIR: join(logDir, "spool"),
      INGEST_METRICS_PORT: String(metricsPort),
      INGEST_METRICS_HOST: "127.0.0.1",
    });
    const apiPort = await freePort();
    const key = "stack-dist-test-key";
    const api = start("api", "dist/api/main.js", [], {
      ...influx,
      API_PORT: String(apiPort),
      API_HOST: "127.0.0.1",
      API_KEYS: `client_1:${hashKey(key)}`,
      API_KEYS_FILE: join(logDir, "absent.json"),
    });
    await waitHealthy(`http://127.0.0.1:${metricsPort}/healthz`, ingest, 60_000);
    await waitHealthy(`http://127.0.0.1:${apiPort}/healthz`, api, 30_000);

    // The health check the image and docker-compose.yml run, both forms.
    const check = (args: string[], env: Record<string, string> = {}) =>
      run(process.execPath, [join(repo, "dist/scripts/stack-healthcheck.js"), ...args], {
        env: { ...process.env, ...env },
      }).then(
        () => 0,
        (err: { code?: number }) => err.code ?? -1,
      );
    expect(await check([`http://127.0.0.1:${simPort}/_sim/config`])).toBe(0);
    expect(await check([`http://127.0.0.1:${metricsPort}/healthz`])).toBe(0);
    expect(await check([`http://127.0.0.1:${apiPort}/healthz`])).toBe(0);
    const closed = String(await freePort());
    expect(
      await check([], { API_PORT: String(apiPort), INGEST_METRICS_PORT: closed, SIM_PORT: closed }),
    ).toBe(0);
    expect(await check([], { API_PORT: closed, INGEST_METRICS_PORT: closed, SIM_PORT: closed })).toBe(1);

    let devices: { count: number } = { count: 0 };
    for (let i = 0; i < 40 && devices.count === 0; i++) {
      const res = await fetch(`http://127.0.0.1:${apiPort}/v1/devices`, { headers: { "x-api-key": key } });
      expect(res.status).toBe(200);
      devices = (await res.json()) as { count: number };
      if (devices.count === 0) await new Promise((r) => setTimeout(r, 250));
    }
    expect(devices.count).toBe(2);

    for (const c of [...children].reverse()) expect(await c.stop(20_000), c.name).toBe(0);
  });
});

describeWithInflux("npm run stack", () => {
  let stack: ChildProcess | undefined;
  let dir = "";
  let out = "";
  let stackDone = false;

  afterAll(async () => {
    // Only if the test failed midway: Ctrl-C the whole group.
    if (stack?.pid && !stackDone) {
      try {
        process.kill(-stack.pid, "SIGINT");
      } catch {
        // group already gone
      }
      await new Promise((r) => setTimeout(r, 10_000));
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("prints URLs, the demo key and logs; the API answers with data; Ctrl-C stops every process", async () => {
    dir = await mkdtemp(join(tmpdir(), "stack-run-"));
    // Its own process group, as a terminal would run it, so SIGINT to the group is a Ctrl-C.
    const child = spawn("npm", ["run", "stack", "--", "--dir", dir], {
      cwd: repo,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    stack = child;
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | string>((r) =>
      child.once("exit", (code, sig) => r(code ?? sig ?? "?")),
    );
    // stdout closes once the stack script itself has exited (npm and its shell may end first).
    const closed = new Promise<void>((r) => child.stdout.once("close", () => r()));

    const until = Date.now() + 150_000;
    while (!out.includes("Ctrl-C stops everything.")) {
      if (child.exitCode !== null) throw new Error(`npm run stack exited early:\n${out}`);
      if (Date.now() > until) throw new Error(`npm run stack not ready:\n${out}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const apiUrl = /API\s+(http:\/\/[\d.:]+)\/docs/.exec(out)?.[1];
    const key = /Demo API key \(client_1[^)]*\): (\S+)/.exec(out)?.[1];
    expect(apiUrl, out).toBeDefined();
    expect(key, out).toMatch(/^iot_/);
    expect(out).toMatch(/InfluxDB\s+http:\/\/127\.0\.0\.1:\d+/);
    expect(out).toMatch(/Simulator\s+http:\/\/127\.0\.0\.1:\d+\/iot_objects/);
    expect(out).toMatch(/Ingester\s+http:\/\/127\.0\.0\.1:\d+\/metrics/);
    expect(out).toMatch(/Prometheus\s+(http:\/\/127\.0\.0\.1:\d+|not installed)/);
    expect(out).toContain(`Logs        ${join(dir, "logs")}/`);
    const pids = [...out.matchAll(/\(pid (\d+)/g)].map((m) => Number(m[1]));
    expect(pids.length).toBeGreaterThanOrEqual(4);

    let body: { count?: number; devices?: { client: string }[] } = {};
    for (let i = 0; i < 60 && !body.count; i++) {
      const res = await fetch(`${apiUrl}/v1/devices`, { headers: { "x-api-key": key! } });
      expect(res.status).toBe(200);
      body = (await res.json()) as typeof body;
      if (!body.count) await new Promise((r) => setTimeout(r, 500));
    }
    expect(body.count).toBeGreaterThan(0);
    expect(body.devices!.every((d) => d.client === "client_1")).toBe(true);
    const prom = /Prometheus\s+(http:\/\/[\d.:]+)/.exec(out)?.[1];
    if (prom) expect((await fetch(`${prom}/-/ready`)).status).toBe(200);

    process.kill(-child.pid!, "SIGINT");
    // npm reports the interrupt itself (its `sh -c` dies of the SIGINT); the stack script exits 0 after clean-up.
    expect([0, "SIGINT"]).toContain(await exited);
    await closed;
    stackDone = true;
    expect(out).toMatch(/\[stack\] stopping \(SIGINT\)[\s\S]*influxd stopped[\s\S]*\[stack\] stopped\n/);
    expect(out).not.toContain("failed");
    for (const pid of pids) expect(await pidGone(pid), `pid ${pid} still running`).toBe(true);
    expect(existsSync(join(dir, "influxdb.env")), "influxd state left behind").toBe(false);
    const influxData = /log (\/\S+)\/influxd\.log\)/.exec(out)?.[1];
    expect(influxData && existsSync(influxData), "influxd data folder left behind").toBe(false);
  }, 240_000);
});
