// The CLI as a separate process: starts, serves, stops cleanly on SIGTERM, and
// refuses bad flags with a message naming them.
import { describe, expect, it } from "vitest";
import { freePort } from "../../shared/net/free-port.js";
import { spawnSimulator, waitForStartLine } from "./simulator-helpers.js";

describe("simulator process", () => {
  it("starts, logs one JSON line with its URL, serves, and exits 0 on SIGTERM", async () => {
    const port = await freePort();
    const p = spawnSimulator(["--port", String(port), "--seed", "5", "--signal", "realistic"]);
    try {
      const start = await waitForStartLine(p);
      expect(start.url).toBe(`http://127.0.0.1:${port}`);
      expect(start.seed).toBe(5);
      const res = await fetch(`http://127.0.0.1:${port}/iot_objects`);
      expect(res.status).toBe(200);
      expect(((await res.json()) as unknown[]).length).toBe(6);
      const config = (await (await fetch(`http://127.0.0.1:${port}/_sim/config`)).json()) as Record<
        string,
        unknown
      >;
      expect(config).toMatchObject({ mode: "realistic", seed: 5, devices: 6 });
      p.child.kill("SIGTERM");
      expect(await p.exit).toEqual({ code: 0, signal: null });
    } finally {
      p.child.kill("SIGKILL");
    }
  });

  it("takes its settings from SIM_* variables, flags winning", async () => {
    const port = await freePort();
    const p = spawnSimulator(["--port", String(port), "--devices", "50"], {
      SIM_DEVICES: "10",
      SIM_CLIENTS: "5",
      SIM_SIGNAL: "realistic",
    });
    try {
      await waitForStartLine(p);
      const config = (await (await fetch(`http://127.0.0.1:${port}/_sim/config`)).json()) as Record<
        string,
        unknown
      >;
      expect(config).toMatchObject({ mode: "realistic", devices: 50, clients: 5, fleet: "generated" });
      p.child.kill("SIGTERM");
      expect((await p.exit).code).toBe(0);
    } finally {
      p.child.kill("SIGKILL");
    }
  });

  it("an invalid flag value exits non-zero with a message naming the flag", async () => {
    const p = spawnSimulator(["--error-rate", "2"]);
    const { code } = await p.exit;
    expect(code).not.toBe(0);
    expect(p.output()).toMatch(/--error-rate="2" is invalid: expected a number in 0\.\.1/);
  });

  it("an unknown flag exits non-zero naming it", async () => {
    const p = spawnSimulator(["--devcies", "10"]);
    expect((await p.exit).code).not.toBe(0);
    expect(p.output()).toMatch(/--devcies/);
  });

  it("an invalid variable exits non-zero naming the variable", async () => {
    const p = spawnSimulator([], { SIM_TIME_SCALE: "fast" });
    expect((await p.exit).code).not.toBe(0);
    expect(p.output()).toMatch(/SIM_TIME_SCALE="fast" is invalid/);
  });

  it("more clients than devices is refused", async () => {
    const p = spawnSimulator(["--devices", "3", "--clients", "4"]);
    expect((await p.exit).code).not.toBe(0);
    expect(p.output()).toMatch(/--clients/);
  });
});
