// /docs works without internet: Debian's Chromium, headless, with every host
// name but 127.0.0.1 unresolvable and a proxy that leads nowhere for anything
// not on loopback, loads the page from the API and renders every operation of
// the document. A control page that needs a CDN script renders nothing under
// the same flags, and one on this machine's own non-loopback address renders
// only without them, so the confinement is real.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningApi } from "../../api/server.js";
import { influxServer, useTestBucket } from "../support/influx.js";
import { get, makeKeys, startTestApi } from "./api-helpers.js";

const CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => existsSync(p));
if (!CHROMIUM) {
  const why = "Chromium is not installed (/usr/bin/chromium): .ci/run installs Debian's package chromium";
  if (process.env.CI === "true") throw new Error(why);
  console.warn(`\n>>> SKIPPING the offline /docs browser test: ${why}\n`);
}

const bucket = useTestBucket(import.meta.url);
const keys = makeKeys("docs");
let api: RunningApi;

beforeAll(async () => {
  if (!influxServer || !CHROMIUM) return;
  api = await startTestApi(bucket.current, { API_KEYS: keys.env });
});

afterAll(async () => {
  await api?.close();
});

/**
 * The DOM Chromium has built for `url` once scripts ran (virtual time lets the
 * page's own requests finish first), with no network beyond loopback.
 */
function renderedDom(url: string, { confined = true } = {}): Promise<string> {
  const profile = mkdtempSync(join(tmpdir(), "chromium-"));
  const args = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    // Chromium's own background traffic (updates, sync, safe browsing) stays off.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    `--user-data-dir=${profile}`,
    // No name resolves but 127.0.0.1; anything not on loopback goes to a proxy that refuses.
    ...(confined
      ? ["--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "--proxy-server=http://127.0.0.1:9"]
      : []),
    "--virtual-time-budget=20000",
    "--dump-dom",
    url,
  ];
  return new Promise((resolve, reject) => {
    execFile(CHROMIUM!, args, { timeout: 90_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      rmSync(profile, { recursive: true, force: true });
      if (err) reject(new Error(`chromium failed: ${err.message}\n${stderr.slice(-3000)}`));
      else resolve(stdout);
    });
  });
}

(influxServer && CHROMIUM ? describe : describe.skip)("/docs without internet", () => {
  it("the page names no other origin: its script and style come from the API", async () => {
    const page = await get(api, "/docs");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(page.text).not.toMatch(/https?:\/\//);
    const assets = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(assets.sort()).toEqual([
      "/docs/assets/swagger-ui-dist/swagger-ui-bundle.js",
      "/docs/assets/swagger-ui-dist/swagger-ui.css",
    ]);
    for (const path of assets) {
      const res = await fetch(`${api.url}${path}`);
      expect(res.status, path).toBe(200);
      expect((await res.arrayBuffer()).byteLength, path).toBeGreaterThan(100_000);
    }
  });

  it("headless Chromium with only loopback renders every operation of the document", async () => {
    const doc = (await get(api, "/openapi.json")).body as { paths: Record<string, object> };
    const dom = await renderedDom(`${api.url}/docs`);
    const rendered = new Set(
      [...dom.matchAll(/class="opblock-summary-path" data-path="([^"]+)"/g)].map((m) => m[1]),
    );
    expect([...rendered].sort()).toEqual(Object.keys(doc.paths).sort());
    expect(rendered.size).toBeGreaterThanOrEqual(15);
    // The document's title is shown, so the spec itself was fetched and parsed.
    expect(dom).toContain("IoT edge-to-cloud API");
  });

  it("control: under the same flags a script from a CDN does not load", async () => {
    // By name: nothing resolves (on a machine with internet, this is what keeps the CDN out).
    const page =
      '<script src="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5.35.0/swagger-ui-bundle.js"></script>' +
      "<script>document.documentElement.setAttribute('data-loaded', typeof SwaggerUIBundle)</script>";
    const dom = await renderedDom(`data:text/html,${encodeURIComponent(page)}`);
    expect(dom).toContain('data-loaded="undefined"');
  });

  it("control: a server on this machine's own non-loopback address is out of reach too, and in reach without the flags", async () => {
    const address = Object.values(networkInterfaces())
      .flat()
      .find((a) => a?.family === "IPv4" && !a.internal)?.address;
    if (!address) {
      console.warn(">>> no non-loopback IPv4 address on this machine: control skipped");
      return;
    }
    const server = createServer((_req, res) => {
      res.writeHead(200, { "Content-Type": "text/javascript" });
      res.end("window.reached = 'yes';");
    });
    await new Promise<void>((resolve) => server.listen(0, "0.0.0.0", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const page =
        `<script src="http://${address}:${port}/x.js"></script>` +
        "<script>document.documentElement.setAttribute('data-reached', String(window.reached))</script>";
      const url = `data:text/html,${encodeURIComponent(page)}`;
      expect(await renderedDom(url)).toContain('data-reached="undefined"');
      expect(await renderedDom(url, { confined: false })).toContain('data-reached="yes"');
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
