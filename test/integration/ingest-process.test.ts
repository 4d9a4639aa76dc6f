// The ingester process refuses a bad configuration at start, naming the
// variable and what it expects.
import { describe, expect, it } from "vitest";
import { startService } from "../support/processes.js";

describe("ingester start-up configuration", () => {
  it("exits 1 with one message naming every bad variable", async () => {
    const proc = startService("ingest/main.ts", {
      INFLUX_TOKEN: "x",
      INGEST_CRON: "every minute",
      INGEST_CONCURRENCY: "0",
      IOT_API_TIMEZONE: "Mars/Olympus",
    });
    expect(await proc.exited).toBe(1);
    const err = proc.stderr();
    expect(err).toContain('INGEST_CRON="every minute" is invalid: expected a node-cron expression');
    expect(err).toContain('INGEST_CONCURRENCY="0" is invalid: expected an integer in 1..1024');
    expect(err).toContain('IOT_API_TIMEZONE="Mars/Olympus" is invalid: expected an IANA time zone');
    expect(err).not.toMatch(/at .*\.ts:\d+/); // a message, not a stack trace
  });

  it("refuses an invalid rules file", async () => {
    const proc = startService("ingest/main.ts", {
      INFLUX_TOKEN: "x",
      INGEST_RULES_FILE: "/nonexistent/rules.json",
    });
    expect(await proc.exited).toBe(1);
    expect(proc.stderr()).toContain("INGEST_RULES_FILE=/nonexistent/rules.json");
  });
});
