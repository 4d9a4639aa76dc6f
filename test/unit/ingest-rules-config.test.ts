import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DEFAULT_RULES } from "../../ingest/transforms/anomaly-rules.js";
import { parseRules } from "../../ingest/transforms/rules-config.js";

describe("rules file", () => {
  it("merges over the defaults, and null removes a threshold", () => {
    const rules = parseRules(
      JSON.stringify({
        thresholds: { temperature: { high: 28 }, humidity: null },
        zscore: { bound: 3 },
        levelShift: { samples: 20 },
        minChange: { temperature: 2 },
        batteryDrain: { perHour: 30 },
        stuck: { count: 6 },
      }),
    );
    expect(rules.thresholds.temperature).toEqual({ ...DEFAULT_RULES.thresholds.temperature, high: 28 });
    expect(rules.thresholds.humidity).toBeUndefined();
    expect(rules.thresholds.activity_level).toEqual(DEFAULT_RULES.thresholds.activity_level);
    expect(rules.zscore).toEqual({ ...DEFAULT_RULES.zscore, bound: 3 });
    expect(rules.levelShift).toEqual({ ...DEFAULT_RULES.levelShift, samples: 20 });
    expect(rules.minChange).toEqual({ ...DEFAULT_RULES.minChange, temperature: 2 });
    expect(rules.batteryDrain).toEqual({ ...DEFAULT_RULES.batteryDrain, perHour: 30 });
    expect(rules.stuck).toEqual({ count: 6, metrics: DEFAULT_RULES.stuck.metrics });
    expect(rules.batteryLow).toBe(DEFAULT_RULES.batteryLow);
  });

  it.each([
    ["{", /not JSON/],
    ['{"thresholds": {"pressure": {"high": 1}}}', /thresholds: Unrecognized key: "pressure"/],
    ['{"zscore": {"bound": -1}}', /zscore\.bound/],
    ['{"stuck": {"count": 1}}', /stuck\.count/],
    ['{"levelShift": {"samples": 2}}', /levelShift\.samples/],
    ['{"minChange": {"temperature": -1}}', /minChange\.temperature/],
    ['{"batteryDrain": {"perHour": 0}}', /batteryDrain\.perHour/],
    ['{"unknown": 1}', /\(root\)|unknown/],
  ])("refuses %s", (text, message) => {
    expect(() => parseRules(text)).toThrow(message);
  });
});

describe("ingest/README.md", () => {
  it("shows the default rules as they are", () => {
    const readme = readFileSync(new URL("../../ingest/README.md", import.meta.url), "utf8");
    const section = readme.slice(readme.indexOf("## Anomaly rules"));
    const block = /```json\n([\s\S]*?)\n```/.exec(section)![1]!;
    expect(JSON.parse(block)).toEqual(DEFAULT_RULES);
  });
});
