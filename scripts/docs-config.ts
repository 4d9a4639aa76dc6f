// Rewrites the configuration table of docs/configuration.md from the declarations (config-catalog.ts).
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { allEnvGroups } from "./config-catalog.js";
import { CONFIG_DOC, renderConfigTable, replaceConfigTable } from "../shared/config/docs.js";

const doc = join(import.meta.dirname, "..", CONFIG_DOC);
const before = await readFile(doc, "utf8");
const after = replaceConfigTable(before, renderConfigTable(allEnvGroups));
if (after !== before) await writeFile(doc, after);
console.log(`${CONFIG_DOC}: configuration table ${after === before ? "is up to date" : "rewritten"}`);
