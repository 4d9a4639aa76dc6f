// Every fault reaches a real HTTP client: statuses, bytes and delays on the wire.
// Timings are lower bounds only: a slow machine must not fail these tests.
import { afterEach, describe, expect, it } from "vitest";
import { startSimulator } from "../../simulator/server.js";
import { type History, getJson, parseServed, useSimulator } from "./simulator-helpers.js";

const sim = useSimulator({ seed: 11 });
const url = (p: string) => `${sim.current.url}${p}`;

async function setFaults(patch: Record<string, unknown>) {
  const res = await fetch(url("/_sim/faults"), {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(patch),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const out = await fn();
  return [out, performance.now() - start];
}

afterEach(async () => {
  const res = await fetch(url("/_sim/faults"), { method: "DELETE" });
  expect(res.status).toBe(200);
});

describe("simulator faults", () => {
  it("errorRate answers 500/503, as HTML pages like a hosting proxy", async () => {
    await setFaults({ errorRate: 1, errorHtmlShare: 1 });
    const statuses = new Set<number>();
    for (let i = 0; i < 20; i++) {
      const res = await fetch(url("/iot_objects/device_1"));
      statuses.add(res.status);
      expect(res.headers.get("content-type")).toMatch(/^text\/html/);
      const body = await res.text();
      expect(body).toMatch(/<html/i);
      expect(() => JSON.parse(body) as unknown).toThrow();
    }
    expect(statuses).toEqual(new Set([500, 503]));
  });

  it("errorRate with errorHtmlShare 0 answers JSON errors", async () => {
    await setFaults({ errorRate: 1, errorHtmlShare: 0 });
    const res = await fetch(url("/iot_objects"));
    expect([500, 503]).toContain(res.status);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await res.json()).toHaveProperty("error");
  });

  it("a partial error rate breaks some requests and not others", async () => {
    await setFaults({ errorRate: 0.5 });
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) statuses.push((await fetch(url("/iot_objects"))).status);
    expect(statuses).toContain(200);
    expect(statuses.some((s) => s >= 500)).toBe(true);
  });

  it("latency and jitter delay the answer (lower bound)", async () => {
    await setFaults({ latencyMs: 300, jitterMs: 100 });
    const [res, ms] = await timed(() => fetch(url("/iot_objects/device_2/history")));
    expect(res.status).toBe(200);
    expect(ms).toBeGreaterThanOrEqual(295);
  });

  it("a hang outlasts the client's timeout", async () => {
    await setFaults({ hangRate: 1, hangMs: 5000 });
    const [err, ms] = await timed(() =>
      fetch(url("/iot_objects"), { signal: AbortSignal.timeout(300) }).then(
        () => null,
        (e: unknown) => e as Error,
      ),
    );
    expect(err?.name).toBe("TimeoutError");
    expect(ms).toBeGreaterThanOrEqual(295);
  });

  it("a hang then closes the connection without an answer", async () => {
    await setFaults({ hangRate: 1, hangMs: 200, hangThen: "close" });
    const err = await fetch(url("/iot_objects")).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(err).toBeInstanceOf(TypeError); // undici: "fetch failed", cause: socket closed
    expect(String((err as { cause?: unknown }).cause)).toMatch(/closed|socket|terminated/i);
  });

  it("a hang may end with a normal answer", async () => {
    await setFaults({ hangRate: 1, hangMs: 250, hangThen: "answer" });
    const [res, ms] = await timed(() => fetch(url("/iot_objects")));
    expect(res.status).toBe(200);
    expect(((await res.json()) as unknown[]).length).toBe(6);
    expect(ms).toBeGreaterThanOrEqual(245);
  });

  it("malformed JSON fails JSON.parse on every data endpoint", async () => {
    await setFaults({ malformedRate: 1 });
    for (const path of [
      "/iot_objects",
      "/iot_objects/by_client/client_1",
      "/iot_objects/device_1",
      "/iot_objects/device_3/history",
    ]) {
      const res = await fetch(url(path));
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
      const text = await res.text();
      expect(() => JSON.parse(text) as unknown, `${path}: ${text}`).toThrow(SyntaxError);
    }
  });

  it("truncated JSON is cut mid-way and fails JSON.parse", async () => {
    await setFaults({ truncatedRate: 1 });
    const text = await (await fetch(url("/iot_objects/device_1/history"))).text();
    expect(text.startsWith('{"id":"device_1"')).toBe(true);
    expect(() => JSON.parse(text) as unknown).toThrow(SyntaxError);
  });

  it("missing fields: every object loses one field", async () => {
    await setFaults({ missingFieldRate: 1 });
    const list = (await getJson<Record<string, unknown>[]>(url("/iot_objects"))).body;
    for (const d of list) expect(Object.keys(d)).toHaveLength(2);
    const history = (
      await getJson<{ history: Record<string, unknown>[] }>(url("/iot_objects/device_1/history"))
    ).body;
    expect(history.history).toHaveLength(10);
    for (const e of history.history) expect(Object.keys(e)).toHaveLength(1);
    let damaged = 0;
    for (let i = 0; i < 10; i++) {
      const r = (await getJson<Record<string, unknown>>(url("/iot_objects/device_1"))).body;
      const metrics = r.metrics as Record<string, unknown> | undefined;
      if (Object.keys(r).length < 5 || (metrics && Object.keys(metrics).length < 4)) damaged++;
    }
    expect(damaged).toBe(10);
  });

  it("duplicated history entries", async () => {
    await setFaults({ duplicateRate: 1 });
    const { body } = await getJson<History>(url("/iot_objects/device_2/history"));
    expect(body.history).toHaveLength(20);
    expect(new Set(body.history.map((e) => e.timestamp)).size).toBe(10);
  });

  it("out-of-order history entries", async () => {
    await setFaults({ outOfOrderRate: 1 });
    const { body } = await getJson<History>(url("/iot_objects/device_2/history"));
    const times = body.history.map((e) => parseServed(e.timestamp));
    expect(times).toHaveLength(10);
    const sorted = [...times].sort((a, b) => b - a);
    expect(times).not.toEqual(sorted);
    expect(new Set(times).size).toBe(10);
  });

  it("control endpoints are never affected by faults", async () => {
    await setFaults({ errorRate: 1, malformedRate: 1, latencyMs: 0 });
    const { status, body } = await getJson<Record<string, unknown>>(url("/_sim/config"));
    expect(status).toBe(200);
    expect(body.mode).toBe("faithful");
    expect((await getJson(url("/_sim/truth"))).status).toBe(200);
  });

  it("faults change at run time and heal with DELETE", async () => {
    expect((await fetch(url("/iot_objects"))).status).toBe(200);
    const effective = await setFaults({ errorRate: 1 });
    expect(effective.errorRate).toBe(1);
    expect(effective.latencyMs).toBe(0);
    expect((await fetch(url("/iot_objects"))).status).toBeGreaterThanOrEqual(500);
    expect((await getJson<Record<string, unknown>>(url("/_sim/faults"))).body.errorRate).toBe(1);
    const healed = (await (await fetch(url("/_sim/faults"), { method: "DELETE" })).json()) as Record<
      string,
      unknown
    >;
    expect(healed.errorRate).toBe(0);
    expect((await fetch(url("/iot_objects"))).status).toBe(200);
  });

  it("invalid fault config -> 400 JSON, and the config is unchanged", async () => {
    await setFaults({ latencyMs: 5 });
    for (const body of [
      "{not json",
      "[1]",
      '"x"',
      JSON.stringify({ errorRate: 2 }),
      JSON.stringify({ latencyMs: -1 }),
      JSON.stringify({ latencyMs: 1.5 }),
      JSON.stringify({ hangThen: "explode" }),
      JSON.stringify({ nope: 1 }),
      JSON.stringify({ errorRate: "0.5" }),
    ]) {
      const res = await fetch(url("/_sim/faults"), { method: "POST", body });
      expect(res.status, body).toBe(400);
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
      expect(((await res.json()) as { error: string }).error.length).toBeGreaterThan(0);
    }
    expect((await getJson<Record<string, unknown>>(url("/_sim/faults"))).body.latencyMs).toBe(5);
  });

  it("setFaults in-process validates too", () => {
    expect(() => sim.current.setFaults({ errorRate: 3 })).toThrow(RangeError);
    expect(sim.current.setFaults({ jitterMs: 7 }).jitterMs).toBe(7);
  });
});

describe("simulator cold start", () => {
  it("the first request, and the first after idleMs of silence, wait coldStartMs", async () => {
    const cold = await startSimulator({ faults: { coldStartMs: 400, idleMs: 300 } });
    try {
      const [first, firstMs] = await timed(() => fetch(`${cold.url}/iot_objects`));
      expect(first.status).toBe(200);
      expect(firstMs).toBeGreaterThanOrEqual(395);
      await new Promise((r) => setTimeout(r, 450));
      const [again, againMs] = await timed(() => fetch(`${cold.url}/iot_objects/device_1`));
      expect(again.status).toBe(200);
      expect(againMs).toBeGreaterThanOrEqual(395);
    } finally {
      await cold.stop();
    }
  });

  it("faults set at start-up apply from the first request", async () => {
    const broken = await startSimulator({ seed: 1, faults: { errorRate: 1 } });
    try {
      expect((await fetch(`${broken.url}/iot_objects`)).status).toBeGreaterThanOrEqual(500);
      expect(broken.faults().errorRate).toBe(1);
    } finally {
      await broken.stop();
    }
  });

  it("stop() ends pending hangs at once", async () => {
    const hung = await startSimulator({ faults: { hangRate: 1, hangMs: 600_000 } });
    const pending = fetch(`${hung.url}/iot_objects`).then(
      () => "answered",
      () => "failed",
    );
    await new Promise((r) => setTimeout(r, 100));
    await hung.stop();
    expect(await pending).toBe("failed");
  });
});
