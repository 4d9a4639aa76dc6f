// Schemathesis (from PyPI, in the virtual environment .ci/run makes) against
// the running API over real HTTP with real keys: every operation of
// /openapi.json, every check, zero failures. Two exceptions, both explicit
// here and in the README: the check `unsupported_method` is excluded (an
// undeclared method answers 404 like any unknown route, not 405), and
// test/schemathesis/hooks.py drops a schema-valid request's 400 only when it
// names a rule between parameters that OpenAPI 3.0 cannot state (start before
// stop, the range cap, the point cap).
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningApi } from "../../api/server.js";
import { anomalyLine, readingLine } from "../../ingest/points.js";
import { METRIC } from "../../shared/schema.js";
import { influxServer, useTestBucket } from "../support/influx.js";
import { get, makeKeys, startTestApi } from "./api-helpers.js";

const repo = join(import.meta.dirname, "..", "..");
const ST = join(repo, ".local", "venv", "bin", "st");
const HERE = join(repo, "test", "schemathesis");
/** Test cases per operation and phase: enough to find what the outside check found, a run under a minute. */
const MAX_EXAMPLES = 40;
/** Fixed, so a failure reproduces; SCHEMATHESIS_SEED explores others. */
const SEED = process.env.SCHEMATHESIS_SEED ?? "20261203";

const haveSt = existsSync(ST);
if (!haveSt) {
  const why = `schemathesis is not installed at ${ST}: .ci/run installs it (python3 -m venv .local/venv && .local/venv/bin/pip install -r test/schemathesis/requirements.txt)`;
  // CI must run it; on a developer's machine say so loudly and skip.
  if (process.env.CI === "true") throw new Error(why);
  console.warn(`\n>>> SKIPPING the schemathesis run: ${why}\n`);
}

const bucket = useTestBucket(import.meta.url);
const keys = makeKeys("schemathesis");
let api: RunningApi;

/** device_1 under client_1 and client_2 (an admin's 409), device_2 under client_1, the last 2 hours. */
function lines(nowMs: number): string[] {
  const out: string[] = [];
  const held = [
    { client: "client_1", device: "device_1", type: "temperature_sensor", metric: METRIC.temperature },
    { client: "client_2", device: "device_1", type: "temperature_sensor", metric: METRIC.temperature },
    { client: "client_1", device: "device_2", type: "humidity_sensor", metric: METRIC.humidity },
  ] as const;
  for (const h of held) {
    for (let i = 1; i <= 120; i++) {
      const timeUs = (nowMs - i * 60_000) * 1000;
      const base = { client: h.client, device: h.device, type: h.type, timeUs };
      out.push(readingLine({ ...base, metric: h.metric, value: 20 + (i % 7) }));
      if (i % 10 === 0) out.push(readingLine({ ...base, metric: METRIC.batteryLevel, value: 90 - i / 10 }));
    }
    out.push(
      anomalyLine({
        client: h.client,
        device: h.device,
        type: h.type,
        metric: h.metric,
        rule: "zscore",
        severity: "warning",
        timeUs: (nowMs - 30 * 60_000) * 1000,
        value: 40,
        baseline: null,
        threshold: 25,
        score: 4.2,
        message: "spike",
      }),
    );
  }
  return out;
}

beforeAll(async () => {
  if (!influxServer || !haveSt) return;
  const write = bucket.current.client.getWriteApi(bucket.current.server.org, bucket.current.name, "us");
  write.writeRecords(lines(Date.now()));
  await write.close();
  api = await startTestApi(bucket.current, { API_KEYS: keys.env, API_RATE_LIMIT_PER_MIN: "1000000" });
});

afterAll(async () => {
  await api?.close();
});

interface StRun {
  code: number;
  output: string;
}

/**
 * `st run` over every operation with all checks but the one excepted, in a
 * fresh working folder. The document is given as a file with the API's URL:
 * loaded from its URL, schemathesis leaves out the operation serving it.
 */
function schemathesis(doc: unknown, key: string): Promise<StRun> {
  const work = mkdtempSync(join(tmpdir(), "schemathesis-"));
  const docFile = join(work, "openapi.json");
  writeFileSync(docFile, JSON.stringify(doc));
  const args = [
    "--config-file",
    join(HERE, "schemathesis.toml"),
    "run",
    docFile,
    "--url",
    api.url,
    "--header",
    `x-api-key: ${key}`,
    "--checks",
    "all",
    // Exception 1: an undeclared method on a known path is a 404 (no such route), not a 405.
    "--exclude-checks",
    "unsupported_method",
    "--max-examples",
    String(MAX_EXAMPLES),
    "--seed",
    SEED,
    "--workers",
    "2",
    "--request-timeout",
    "15",
    // A generator health check, not a check of the API: on a loaded 2-core CI machine
    // generating the long patterns can be slow, which must not fail the run.
    "--suppress-health-check",
    "too_slow",
    "--no-color",
  ];
  return new Promise((resolve) => {
    execFile(
      ST,
      args,
      {
        cwd: work,
        // Exception 2: hooks.py drops only the 400s of the cross-field rules.
        env: { ...process.env, SCHEMATHESIS_HOOKS: join(HERE, "hooks.py"), NO_COLOR: "1" },
        maxBuffer: 64 << 20,
        timeout: 240_000,
      },
      (err, stdout, stderr) => {
        rmSync(work, { recursive: true, force: true });
        const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
        resolve({ code, output: `${stdout}${stderr}` });
      },
    );
  });
}

/** The summary block at the end of st's output. */
function summary(output: string): string {
  const at = output.lastIndexOf("SUMMARY");
  return at < 0 ? output.slice(-3000) : output.slice(at);
}

(influxServer && haveSt ? describe : describe.skip)("schemathesis against the running API", () => {
  it.each([
    ["a client key", () => keys.byClient.client_1!],
    ["an admin key", () => keys.admin],
  ])(
    "%s: every operation, every check, no failure",
    async (_who, key) => {
      const doc = (await get(api, "/openapi.json")).body as { paths: Record<string, object> };
      const operations = Object.values(doc.paths).reduce((n, ops) => n + Object.keys(ops).length, 0);
      expect(operations).toBe(15);
      const run = await schemathesis(doc, key());
      const tail = summary(run.output);
      console.log(`schemathesis (seed ${SEED}, ${MAX_EXAMPLES} examples):\n${tail}`);
      expect(run.code, run.output.slice(-8000)).toBe(0);
      expect(tail).toContain(`Selected: ${operations}/${operations}`);
      expect(tail).toContain(`Tested: ${operations}`);
      expect(tail).toMatch(/No issues found/);
      const generated = Number(/(\d+) generated/.exec(tail)?.[1]);
      expect(generated).toBeGreaterThan(operations * 20);
    },
    300_000,
  );
});
