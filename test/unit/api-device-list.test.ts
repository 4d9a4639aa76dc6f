import { describe, expect, it } from "vitest";
import { type SeriesNewest, deviceKey, devicesSince, typeMetricKey } from "../../api/flux/devices.js";

const series = (
  client: string,
  id: string,
  type: string,
  field: string,
  time: string,
  site = "",
): SeriesNewest => ({
  device: deviceKey(client, id, site),
  type,
  field,
  time,
});

describe("devicesSince: devices per type and metric from the newest point of each series", () => {
  const newest = [
    series("c1", "d1", "temperature_sensor", "temperature", "2026-12-03T10:00:00Z"),
    series("c1", "d1", "temperature_sensor", "battery_level", "2026-12-03T09:00:00Z"),
    // The same id under another client and at another site: three devices, not one.
    series("c2", "d1", "temperature_sensor", "temperature", "2026-12-03T10:00:00Z"),
    series("c1", "d1", "temperature_sensor", "temperature", "2026-12-03T10:00:00Z", "north"),
    // A device whose type changed: counted under each type it had in the range.
    series("c1", "d2", "humidity_sensor", "humidity", "2026-12-03T10:00:00Z"),
    series("c1", "d2", "temperature_sensor", "temperature", "2026-12-01T00:00:00Z"),
  ];

  it("counts each (site, client, id) once per type and metric whose newest point is at or after start", () => {
    expect(devicesSince(newest, Date.parse("2026-12-03T09:00:00Z"))).toEqual(
      new Map([
        [typeMetricKey("temperature_sensor", "temperature"), 3],
        [typeMetricKey("temperature_sensor", "battery_level"), 1],
        [typeMetricKey("humidity_sensor", "humidity"), 1],
      ]),
    );
  });

  it("leaves out series silent since before start, and includes them from an earlier start", () => {
    const late = devicesSince(newest, Date.parse("2026-12-03T09:00:00.001Z"));
    expect(late.get(typeMetricKey("temperature_sensor", "battery_level"))).toBeUndefined();
    expect(late.get(typeMetricKey("temperature_sensor", "temperature"))).toBe(3);
    expect(
      devicesSince(newest, Date.parse("2026-11-30T00:00:00Z")).get(
        typeMetricKey("temperature_sensor", "temperature"),
      ),
    ).toBe(4);
  });
});
