// The undici adapter against a real HTTP server: how it gathers a body that
// arrives in pieces, what it hands axios of the headers, and how it stops.
import { type Server, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Axios, isAxiosError } from "../../ingest/source/axios.js";
import { type UndiciAdapter, undiciAdapter } from "../../ingest/source/undici-adapter.js";

// "é" is two bytes in UTF-8: the split below cuts it between two chunks.
const TEXT = JSON.stringify({ name: "capteur d'été", values: Array.from({ length: 4000 }, (_, i) => i) });
const BYTES = Buffer.from(TEXT, "utf8");
const CUT = BYTES.indexOf(Buffer.from("é", "utf8")) + 1;

const routes: Record<string, (res: ServerResponse) => void> = {
  "/pieces": (res) => {
    res.writeHead(200, { "content-type": "application/json", "x-other": "dropped", location: "/here" });
    res.write(BYTES.subarray(0, CUT));
    setTimeout(() => res.end(BYTES.subarray(CUT)), 20);
  },
  "/bom": (res) => res.writeHead(200).end(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), BYTES])),
  "/early-hints": (res) => {
    res.writeEarlyHints({ link: "</style.css>; rel=preload" });
    res.writeHead(404, { location: "/a" }).end("{}");
  },
  "/stall": (res) => res.writeHead(200).write("{"),
  "/cut": (res) => {
    res.writeHead(200, { "content-length": "1000" }).write("{");
    setTimeout(() => res.destroy(), 20);
  },
};

let server: Server;
let transport: UndiciAdapter;
let http: Axios;

beforeAll(async () => {
  server = createServer((req, res) => {
    const route = routes[req.url ?? ""];
    if (route) route(res);
    else res.writeHead(500).end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  transport = undiciAdapter({ connections: 4, connectTimeoutMs: 1000, responseHeaders: ["location"] });
  http = new Axios({
    baseURL: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    timeout: 300,
    adapter: transport.adapter,
    transformResponse: [(data: unknown) => data],
    validateStatus: () => true,
  });
});

afterAll(async () => {
  await transport.close();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe("undici adapter over real HTTP", () => {
  it("joins a body that arrives in pieces, even inside a character, and keeps only the asked headers", async () => {
    const res = await http.request<string>({ url: "/pieces" });
    expect(res.status).toBe(200);
    expect(res.data).toBe(TEXT);
    expect({ ...res.headers }).toEqual({ location: "/here" });
  });

  it("drops a leading byte-order mark, as fetch's text() does", async () => {
    expect((await http.request<string>({ url: "/bom" })).data).toBe(TEXT);
  });

  it("waits past an informational answer for the final one", async () => {
    const res = await http.request<string>({ url: "/early-hints" });
    expect([res.status, res.data, res.headers.location]).toEqual([404, "{}", "/a"]);
  });

  it("ends a body that stops arriving with axios's timeout", async () => {
    const err: unknown = await http.request({ url: "/stall" }).catch((e: unknown) => e);
    expect(isAxiosError(err) && [err.code, err.message]).toEqual([
      "ECONNABORTED",
      "timeout of 300ms exceeded",
    ]);
  });

  it("reports a connection closed in the middle of a body with undici's code", async () => {
    const err: unknown = await http.request({ url: "/cut" }).catch((e: unknown) => e);
    expect(isAxiosError(err) && err.code).toBe("UND_ERR_SOCKET");
  });

  it("stops a request when its signal aborts, before or during the answer", async () => {
    const before = new AbortController();
    before.abort();
    const during = new AbortController();
    setTimeout(() => during.abort(), 30);
    for (const signal of [before.signal, during.signal]) {
      const err: unknown = await http.request({ url: "/stall", signal }).catch((e: unknown) => e);
      expect(isAxiosError(err)).toBe(true);
      expect((err as { code?: string }).code).toMatch(/^(ERR_CANCELED|UND_ERR_ABORTED|ABORT_ERR)$/);
    }
  });
});
