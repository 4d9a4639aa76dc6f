import { describe, expect, it } from "vitest";
import { ConfigError, influxEnv, readEnv } from "../../shared/config/index.js";

describe("readEnv", () => {
  it("applies defaults and parses values", () => {
    const cfg = readEnv(influxEnv, { INFLUX_TOKEN: "t0k3n", INFLUX_URL: "http://127.0.0.1:9999/" });
    expect(cfg).toEqual({
      url: "http://127.0.0.1:9999",
      token: "t0k3n",
      org: "iot",
      bucket: "iot",
      timeoutMs: 10000,
      caFile: "",
    });
  });

  it("names every bad variable and what it expects, and hides secrets", () => {
    let error: unknown;
    try {
      readEnv(influxEnv, { INFLUX_URL: "ftp://x", INFLUX_TIMEOUT_MS: "12.5" });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toHaveLength(3);
    expect(problems[0]).toBe('INFLUX_URL="ftp://x" is invalid: expected an http:// or https:// URL');
    expect(problems[1]).toMatch(/^INFLUX_TOKEN is required: /);
    expect(problems[2]).toBe('INFLUX_TIMEOUT_MS="12.5" is invalid: expected an integer in 100..600000');
  });

  it("treats an empty value as unset", () => {
    const cfg = readEnv(influxEnv, { INFLUX_TOKEN: "x", INFLUX_ORG: "" });
    expect(cfg.org).toBe("iot");
  });

  it("never echoes a secret's value", () => {
    const secretish = { token: { ...influxEnv.token } };
    expect(() => readEnv(secretish, { INFLUX_TOKEN: "   " })).toThrow(/INFLUX_TOKEN=\(hidden\) is invalid/);
  });
});
