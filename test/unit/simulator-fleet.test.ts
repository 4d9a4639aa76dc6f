import { describe, expect, it } from "vitest";
import {
  defaultClients,
  generatedDevice,
  generatedFleet,
  parseIndex,
  referenceFleet,
} from "../../simulator/fleet.js";

describe("reference fleet", () => {
  it("is the upstream's table", () => {
    const fleet = referenceFleet();
    expect([...fleet.all()].map((d) => [d.id, d.client, d.type])).toEqual([
      ["device_1", "client_1", "temperature_sensor"],
      ["device_2", "client_1", "humidity_sensor"],
      ["device_3", "client_2", "activity_tracker"],
      ["device_4", "client_2", "temperature_sensor"],
      ["device_5", "client_3", "humidity_sensor"],
      ["device_6", "client_3", "activity_tracker"],
    ]);
    expect(fleet.byId("device_7")).toBeUndefined();
    expect(fleet.byClient("client_2").map((d) => d.id)).toEqual(["device_3", "device_4"]);
    expect(fleet.byClient("client_4")).toEqual([]);
  });
});

describe("generated fleet", () => {
  it("derives client and type from the index", () => {
    expect(generatedDevice(1, 3)).toEqual({
      index: 1,
      id: "device_1",
      client: "client_1",
      type: "temperature_sensor",
    });
    expect(generatedDevice(4, 3)).toEqual({
      index: 4,
      id: "device_4",
      client: "client_1",
      type: "humidity_sensor",
    });
    expect(generatedDevice(7, 3)).toEqual({
      index: 7,
      id: "device_7",
      client: "client_1",
      type: "activity_tracker",
    });
    expect(generatedDevice(5, 3).client).toBe("client_2");
  });

  it("gives every client with three or more devices all three types", () => {
    const fleet = generatedFleet(300, 30);
    for (let c = 1; c <= 30; c++) {
      const devices = fleet.byClient(`client_${c}`);
      expect(devices).toHaveLength(10);
      expect(new Set(devices.map((d) => d.type)).size).toBe(3);
    }
  });

  it("looks devices up by id without storing them, and rejects non-canonical ids", () => {
    const fleet = generatedFleet(20_000, 1000);
    expect(fleet.byId("device_20000")?.client).toBe("client_1000");
    for (const id of [
      "device_20001",
      "device_0",
      "device_01",
      "device_-1",
      "device_1.0",
      "device_",
      "dev_1",
      "device_1e3",
    ])
      expect(fleet.byId(id), id).toBeUndefined();
    expect(fleet.byClient("client_1001")).toEqual([]);
    expect(fleet.byClient("client_1")).toHaveLength(20);
  });

  it("lists a fleet in index order and agrees with byId", () => {
    const fleet = generatedFleet(50, 7);
    const all = [...fleet.all()];
    expect(all).toHaveLength(50);
    for (const d of all) expect(fleet.byId(d.id)).toEqual(d);
  });

  it("validates its size", () => {
    expect(() => generatedFleet(0, 1)).toThrow(RangeError);
    expect(() => generatedFleet(5, 6)).toThrow(RangeError);
    expect(defaultClients(6)).toBe(3);
    expect(defaultClients(1)).toBe(1);
    expect(parseIndex("client", "client_12")).toBe(12);
  });
});
