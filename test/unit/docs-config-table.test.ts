// docs/configuration.md's table is generated from the declarations (scripts/config-catalog.ts): it must match.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { allEnvGroups } from "../../scripts/config-catalog.js";
import { CONFIG_DOC, renderConfigTable, replaceConfigTable } from "../../shared/config/docs.js";

const repo = join(import.meta.dirname, "..", "..");

describe(`${CONFIG_DOC} configuration table`, () => {
  it("matches the declared environment variables (run `npm run docs:config` to fix)", () => {
    const doc = readFileSync(join(repo, CONFIG_DOC), "utf8");
    expect(replaceConfigTable(doc, renderConfigTable(allEnvGroups))).toBe(doc);
  });

  it("lists every variable once", () => {
    const table = renderConfigTable(allEnvGroups);
    const names = [...table.matchAll(/^\| `([A-Z0-9_]+)`/gm)].map((m) => m[1]);
    expect(names).toEqual([...new Set(names)]);
    expect(names).toContain("INFLUX_URL");
  });

  it("lives in docs/configuration.md only: the README links it instead of holding a copy", () => {
    const readme = readFileSync(join(repo, "README.md"), "utf8");
    expect(readme).not.toContain("config-table:start");
    expect(readme).toContain(CONFIG_DOC);
  });

  it("a document without the markers is an error naming it", () => {
    expect(() => replaceConfigTable("# nothing here\n", "| x |")).toThrow(/config-table markers/);
  });
});
