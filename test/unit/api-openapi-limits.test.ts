// Every limit the validation enforces is in /openapi.json: each query and
// path parameter has an enum, or a pattern and a maximum length (strings), or
// a minimum and maximum (integers); patterns use ASCII classes only, so they
// read the same in ECMA 262 and Python (schemathesis); and the document's
// examples pass its own patterns.
import { expect, it } from "vitest";
import { createApp, OPENAPI_INFO } from "../../api/app.js";
import { KeyStore } from "../../api/auth/keys.js";
import type { QueryRunner } from "../../api/flux/run.js";
import { createApiMetrics } from "../../api/metrics.js";
import { createLogger } from "../../shared/log.js";

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  schema: {
    type?: string;
    enum?: unknown[];
    pattern?: string;
    maxLength?: number;
    minLength?: number;
    minimum?: number;
    maximum?: number;
    example?: unknown;
  };
  example?: unknown;
}

const noQueries: QueryRunner = {
  rows: () => Promise.reject(new Error("the document needs no query")),
  ping: () => Promise.resolve(false),
};

function document() {
  const app = createApp({
    flux: { runner: noQueries, bucket: "unused" },
    keys: new KeyStore([]),
    limits: { maxPoints: 1000, maxRangeMs: 31 * 86_400_000, deviceLookbackMs: 30 * 86_400_000 },
    rateLimitPerMin: 10,
    metrics: createApiMetrics(),
    log: createLogger("test", "silent"),
  });
  return app.getOpenAPIDocument(OPENAPI_INFO) as unknown as {
    paths: Record<string, Record<string, { parameters?: Parameter[] }>>;
  };
}

function parameters(): [string, Parameter][] {
  return Object.entries(document().paths).flatMap(([path, ops]) =>
    Object.values(ops).flatMap((op) => (op.parameters ?? []).map((p) => [path, p] as [string, Parameter])),
  );
}

it("every string parameter has an enum, or a pattern and a maximum length; every integer a range", () => {
  const all = parameters();
  expect(all.length).toBeGreaterThan(30);
  for (const [path, p] of all) {
    const where = `${path} ${p.in} ${p.name}`;
    expect(["query", "path"], where).toContain(p.in);
    if (p.schema.type === "integer") {
      expect(p.schema.minimum, where).toBeTypeOf("number");
      expect(p.schema.maximum, where).toBeTypeOf("number");
    } else {
      expect(p.schema.type, where).toBe("string");
      if (p.schema.enum) continue;
      expect(p.schema.pattern, where).toMatch(/^\^.*\$$/);
      expect(p.schema.maxLength, where).toBeTypeOf("number");
    }
  }
});

it("patterns use ASCII classes only and accept the documented examples", () => {
  for (const [path, p] of parameters()) {
    const { pattern } = p.schema;
    if (!pattern) continue;
    const where = `${path} ${p.name}`;
    // \d, \w, \s mean more than ASCII in Python's re: a generator could send what JavaScript refuses.
    expect(pattern, where).not.toMatch(/\\[dDwWsSb]/);
    const example = p.schema.example ?? p.example;
    if (typeof example === "string") expect(new RegExp(pattern).test(example), where).toBe(true);
  }
});

it("the limits are the ones the validation applies", () => {
  const byName = new Map(parameters().map(([, p]) => [p.name, p.schema]));
  expect(byName.get("limit")).toMatchObject({ type: "integer", minimum: 1, maximum: 1000 });
  const start = new RegExp(byName.get("start")!.pattern!);
  for (const ok of ["-1h", "now", "2026-01-31T12:00:00Z"]) expect(start.test(ok), ok).toBe(true);
  for (const bad of ["-0s", "1h", "2026-02-30T00:00:00Z", "yesterday"])
    expect(start.test(bad), bad).toBe(false);
  const every = new RegExp(byName.get("every")!.pattern!);
  expect(["1s", "10m", "1h30m", "1000ms"].every((x) => every.test(x))).toBe(true);
  expect(["0s", "999ms", "30m1h", "10"].some((x) => every.test(x))).toBe(false);
  const silent = new RegExp(byName.get("silent_after")!.pattern!);
  expect(silent.test("1m") && silent.test("60s") && !silent.test("59s")).toBe(true);
});
