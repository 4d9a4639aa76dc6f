import { describe, expect, it } from "vitest";
import { matches, parseEndpoints } from "../../ingest/notify/endpoints.js";
import type { AnomalyEvent } from "../../ingest/transforms/anomaly-rules.js";

const secret = "0123456789abcdef";
const ev = (over: Partial<AnomalyEvent>): AnomalyEvent => ({
  device: "device_1",
  client: "client_1",
  type: "temperature_sensor",
  metric: "temperature",
  rule: "threshold_high",
  severity: "warning",
  timeUs: 0,
  value: 0,
  baseline: null,
  threshold: 0,
  score: 0,
  message: "",
  ...over,
});

describe("webhook endpoints file", () => {
  it("reads endpoints with filters, a name or a derived id, and a secret from the environment", () => {
    const [a, b] = parseEndpoints(
      [
        { url: "https://hooks.example.com/iot", secret, clients: ["client_1"], cooldown_s: 60 },
        { name: "ops", url: "http://127.0.0.1:9000/x/", secret_env: "HOOK_SECRET", severities: ["critical"] },
      ],
      "test",
      { HOOK_SECRET: "s".repeat(20) },
    );
    expect(a!.id).toMatch(/^hooks.example.com_iot-[0-9a-f]{8}$/);
    expect(a!.cooldownS).toBe(60);
    expect(b).toMatchObject({ id: "ops", url: "http://127.0.0.1:9000/x", secret: "s".repeat(20) });
  });

  it("rejects bad files with a message naming the problem", () => {
    const bad: [unknown, RegExp][] = [
      [{ url: "x" }, /expected array/i],
      [[{ url: "ftp://x", secret }], /url: expected an http/],
      [[{ url: "http://x" }], /exactly one of secret or secret_env/],
      [[{ url: "http://x", secret: "short" }], /at least 16/],
      [[{ url: "http://x", secret, rules: ["nope"] }], /rules\.0/],
      [[{ url: "http://x", secret, extra: 1 }], /extra/],
      [[{ url: "http://x", secret_env: "UNSET_SECRET_VAR" }], /UNSET_SECRET_VAR is unset/],
      [
        [
          { name: "a", url: "http://x", secret },
          { name: "a", url: "http://y", secret },
        ],
        /two endpoints are named a/,
      ],
    ];
    for (const [json, why] of bad)
      expect(() => parseEndpoints(json, "test", {}), JSON.stringify(json)).toThrow(why);
  });

  it("filters by client, rule and severity; an absent filter lets everything through", () => {
    const [all, some] = parseEndpoints(
      [
        { url: "http://a", secret },
        { url: "http://b", secret, clients: ["client_2"], rules: ["battery_low"], severities: ["critical"] },
      ],
      "test",
      {},
    );
    const hit = ev({ client: "client_2", rule: "battery_low", severity: "critical" });
    expect(matches(all!, ev({}))).toBe(true);
    expect(matches(some!, hit)).toBe(true);
    expect(matches(some!, { ...hit, client: "client_1" })).toBe(false);
    expect(matches(some!, { ...hit, rule: "zscore" })).toBe(false);
    expect(matches(some!, { ...hit, severity: "warning" })).toBe(false);
  });
});
