// Rewrites the README's configuration table from shared/config.
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { allEnvGroups } from "./config-catalog.js";
import { renderConfigTable, replaceConfigTable } from "../shared/config/docs.js";

const readme = join(import.meta.dirname, "..", "README.md");
const before = await readFile(readme, "utf8");
const after = replaceConfigTable(before, renderConfigTable(allEnvGroups));
if (after !== before) await writeFile(readme, after);
console.log(
  after === before ? "README configuration table is up to date" : "README configuration table rewritten",
);
