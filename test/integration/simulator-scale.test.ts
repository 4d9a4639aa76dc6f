// A 20,000-device fleet: serves the full list and history for many devices,
// and its memory does not grow with the number of requests. The simulator runs
// as a child process under `node --expose-gc`, so /_sim/gc can force a full GC
// before each heap reading.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../shared/net/free-port.js";
import { type History, type Spawned, spawnSimulator, waitForStartLine } from "./simulator-helpers.js";

const DEVICES = 20_000;
const CLIENTS = 1_000;
const MB = 1024 * 1024;

let p: Spawned;
let base: string;

async function heapAfterGc(): Promise<number> {
  // Two passes: the first may only promote what the second frees.
  await fetch(`${base}/_sim/gc`, { method: "POST" });
  const res = await fetch(`${base}/_sim/gc`, { method: "POST" });
  expect(res.status).toBe(200);
  return ((await res.json()) as { heapUsed: number }).heapUsed;
}

/** A mixed load: full lists, histories and readings across the whole fleet, by_client, truth. */
async function load(requests: number, offset: number): Promise<void> {
  const batch = 20;
  for (let i = 0; i < requests; i += batch) {
    await Promise.all(
      Array.from({ length: batch }, async (_, j) => {
        const n = offset + i + j;
        const device = `device_${1 + ((n * 7919) % DEVICES)}`;
        const path =
          n % 20 === 0
            ? "/iot_objects"
            : n % 20 === 1
              ? `/iot_objects/by_client/client_${1 + (n % CLIENTS)}`
              : n % 20 === 2
                ? `/_sim/truth?device=${device}`
                : n % 3 === 0
                  ? `/iot_objects/${device}`
                  : `/iot_objects/${device}/history`;
        const res = await fetch(`${base}${path}`);
        expect(res.status, path).toBe(200);
        await res.arrayBuffer();
      }),
    );
  }
}

describe("simulator at scale (20,000 devices)", () => {
  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    p = spawnSimulator(
      [
        "--port",
        String(port),
        "--devices",
        String(DEVICES),
        "--clients",
        String(CLIENTS),
        "--signal",
        "realistic",
        "--seed",
        "9",
      ],
      {},
      ["--expose-gc"],
    );
    await waitForStartLine(p);
  });

  afterAll(async () => {
    if (p && p.child.exitCode === null) {
      p.child.kill("SIGTERM");
      await p.exit;
    }
  });

  it("serves GET /iot_objects with 20,000 entries and by_client for the generated clients", async () => {
    const list = (await (await fetch(`${base}/iot_objects`)).json()) as {
      id: string;
      client: string;
      type: string;
    }[];
    expect(list).toHaveLength(DEVICES);
    expect(list[0]).toEqual({ id: "device_1", client: "client_1", type: "temperature_sensor" });
    expect(list.at(-1)).toEqual({ id: "device_20000", client: "client_1000", type: "humidity_sensor" });
    expect(new Set(list.map((d) => d.id)).size).toBe(DEVICES);
    const mine = (await (await fetch(`${base}/iot_objects/by_client/client_7`)).json()) as {
      client: string;
    }[];
    expect(mine).toHaveLength(DEVICES / CLIENTS);
    expect(mine.every((d) => d.client === "client_7")).toBe(true);
    expect((await fetch(`${base}/iot_objects/device_20001`)).status).toBe(404);
    expect((await fetch(`${base}/iot_objects/by_client/client_1001`)).status).toBe(404);
  });

  it("serves history for many devices across the fleet", async () => {
    for (const i of [1, 2, 3, 999, 5000, 12345, 19999, 20000]) {
      const { history } = (await (await fetch(`${base}/iot_objects/device_${i}/history`)).json()) as History;
      expect(history).toHaveLength(10);
    }
  });

  it("memory does not grow with the number of requests", async () => {
    await load(400, 0); // warm-up: JIT, pools, caches
    const warm = await heapAfterGc();
    await load(1000, 400);
    const after = await heapAfterGc();
    console.log(
      `simulator-scale: heapUsed after warm-up ${(warm / MB).toFixed(1)} MB, ` +
        `after 1000 more requests ${(after / MB).toFixed(1)} MB (delta ${((after - warm) / MB).toFixed(1)} MB)`,
    );
    expect(after).toBeLessThan(warm + 20 * MB);
  });
});
