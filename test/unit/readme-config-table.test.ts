import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { allEnvGroups } from "../../scripts/config-catalog.js";
import { renderConfigTable, replaceConfigTable } from "../../shared/config/docs.js";

describe("README configuration table", () => {
  it("matches the declared environment variables (run `npm run docs:config` to fix)", () => {
    const readme = readFileSync(join(import.meta.dirname, "..", "..", "README.md"), "utf8");
    expect(replaceConfigTable(readme, renderConfigTable(allEnvGroups))).toBe(readme);
  });

  it("lists every variable once", () => {
    const table = renderConfigTable(allEnvGroups);
    const names = [...table.matchAll(/^\| `([A-Z0-9_]+)`/gm)].map((m) => m[1]);
    expect(names).toEqual([...new Set(names)]);
    expect(names).toContain("INFLUX_URL");
  });
});
