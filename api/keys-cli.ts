// `npm run keys -- create <client> [--admin]`: makes a random key, stores its
// SHA-256 in API_KEYS_FILE (created if absent) and prints the key once.
// `npm run keys -- list` shows who has keys (hashes only, never keys).
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { readEnvOrExit } from "../shared/config/index.js";
import { apiEnv } from "./config.js";
import { CLIENT_ID, type KeysFile, generateKey, hashKey, keysFileSchema } from "./auth/keys.js";

const USAGE = `usage:
  npm run keys -- create <client> [--admin]   new key for a client (or an admin name); prints it once
  npm run keys -- list                        holders and how many keys each has
The file is API_KEYS_FILE (default ./.local/api-keys.json).`;

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

async function readKeysFile(path: string): Promise<KeysFile> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { clients: {}, admins: {} };
    throw err;
  }
  const parsed = keysFileSchema.safeParse(JSON.parse(text));
  if (!parsed.success) fail(`${path} is not a valid keys file: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

const { keysFile } = readEnvOrExit({ keysFile: apiEnv.keysFile });
if (!keysFile) fail("API_KEYS_FILE is empty");
const [command, ...rest] = process.argv.slice(2);

if (command === "create") {
  const admin = rest.includes("--admin");
  const names = rest.filter((a) => a !== "--admin");
  if (names.length !== 1 || !CLIENT_ID.test(names[0]!))
    fail("create needs one client id: letters, digits, '_', '-', '.' (at most 64)");
  const holder = names[0]!;
  const file = await readKeysFile(keysFile);
  const group = admin ? file.admins : file.clients;
  const key = generateKey();
  group[holder] = { sha256: [...(group[holder]?.sha256 ?? []), hashKey(key)] };
  await mkdir(dirname(keysFile), { recursive: true });
  // Write then rename: a crash never leaves a half-written keys file.
  const tmp = `${keysFile}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, keysFile);
  process.stderr.write(
    `Stored the SHA-256 of a new ${admin ? "admin" : "client"} key for "${holder}" in ${keysFile}.\n` +
      "The key is printed once, below; it cannot be recovered. Restart the API to load it.\n",
  );
  process.stdout.write(`${key}\n`);
} else if (command === "list") {
  const file = await readKeysFile(keysFile);
  for (const [name, h] of Object.entries(file.clients))
    process.stdout.write(`client ${name}: ${h.sha256.length} key(s)\n`);
  for (const [name, h] of Object.entries(file.admins))
    process.stdout.write(`admin  ${name}: ${h.sha256.length} key(s)\n`);
} else fail(command ? `unknown command "${command}"` : "no command");
