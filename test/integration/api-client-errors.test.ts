// What Node's HTTP parser refuses before the app runs still gets a JSON answer
// in the API's error model, over real sockets: a header block over 16 KiB is a
// 431 (also at 70 kB, 200 kB and 1 MB, sent the way a slow client sends it,
// where Node's default handler resets the connection), malformed requests are
// a 400, and just under the limit the app answers as usual.
import { connect } from "node:net";
import { request } from "node:http";
import { afterAll, beforeAll, expect, it } from "vitest";
import { MAX_HEADER_BYTES } from "../../api/client-error.js";
import type { RunningApi } from "../../api/server.js";
import { describeWithInflux, influxServer, useTestBucket } from "../support/influx.js";
import { makeKeys, startTestApi } from "./api-helpers.js";

const bucket = useTestBucket(import.meta.url);
const keys = makeKeys("client-errors");
let api: RunningApi;

beforeAll(async () => {
  if (!influxServer) return;
  api = await startTestApi(bucket.current, { API_KEYS: keys.env });
});

afterAll(async () => {
  await api?.close();
});

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Every response in `text` (a connection may carry several). */
function parseResponses(text: string): RawAnswer[] {
  const out: RawAnswer[] = [];
  let rest = text;
  while (rest.length > 0) {
    const end = rest.indexOf("\r\n\r\n");
    if (end < 0) throw new Error(`incomplete response: ${JSON.stringify(rest.slice(0, 200))}`);
    const [statusLine, ...lines] = rest.slice(0, end).split("\r\n");
    const headers = Object.fromEntries(
      lines.map((l) => [l.slice(0, l.indexOf(":")).toLowerCase(), l.slice(l.indexOf(":") + 1).trim()]),
    );
    const length = Number(headers["content-length"]);
    if (!Number.isInteger(length)) throw new Error(`no Content-Length: ${statusLine}`);
    const bodyStart = end + 4;
    out.push({
      status: Number(/^HTTP\/1\.1 (\d{3}) /.exec(statusLine!)?.[1]),
      headers,
      body: Buffer.from(rest.slice(bodyStart)).subarray(0, length).toString(),
    });
    rest = Buffer.from(rest.slice(bodyStart)).subarray(length).toString();
  }
  return out;
}

/**
 * Sends `raw` over a fresh TCP connection in 8 KiB writes, waiting for each to
 * drain (as a client on a real network does), then reads until the server
 * closes. Rejects on a reset: the answer must arrive whole.
 */
function exchange(raw: Buffer | string): Promise<string> {
  const { hostname, port } = new URL(api.url);
  const data = Buffer.isBuffer(raw) ? raw : Buffer.from(raw, "latin1");
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("error", reject);
    socket.on("end", () => {
      socket.destroy();
      resolve(Buffer.concat(chunks).toString());
    });
    socket.on("connect", () => {
      void (async () => {
        for (let i = 0; i < data.length && !socket.destroyed; i += 8192) {
          if (!socket.write(data.subarray(i, i + 8192))) await new Promise((r) => socket.once("drain", r));
        }
      })();
    });
  });
}

function expectJsonError(a: RawAnswer, status: number, error: string) {
  expect(a.status).toBe(status);
  expect(a.headers["content-type"]).toMatch(/^application\/json/);
  const body = JSON.parse(a.body) as { error: string; message: string };
  expect(body.error).toBe(error);
  expect(body.message.length).toBeGreaterThan(10);
}

const get = (path: string, headers: Record<string, string> = {}) =>
  `GET ${path} HTTP/1.1\r\nHost: localhost\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join("")}\r\n`;

describeWithInflux("answers to requests the HTTP parser refuses", () => {
  it("a 20 KiB key is a JSON 431 that says the limit", async () => {
    const [a, ...more] = parseResponses(
      await exchange(get("/v1/devices", { "x-api-key": "k".repeat(20_480) })),
    );
    expect(more).toEqual([]);
    expectJsonError(a!, 431, "headers_too_large");
    expect(a!.headers.connection).toBe("close");
    expect((JSON.parse(a!.body) as { message: string }).message).toContain(String(MAX_HEADER_BYTES));
  });

  it('a 10 kB query value of " (30 kB encoded) is a JSON 431', async () => {
    const path = `/v1/devices/device_1/stats?start=${encodeURIComponent('"'.repeat(10_000))}`;
    const [a] = parseResponses(await exchange(get(path, { "x-api-key": keys.byClient.client_1! })));
    expectJsonError(a!, 431, "headers_too_large");
  });

  it("70 kB, 200 kB and 1 MB header blocks get the JSON 431, not a reset", async () => {
    for (const size of [70_000, 200_000, 1_000_000]) {
      const [a] = parseResponses(await exchange(get("/v1/devices", { "x-filler": "y".repeat(size) })));
      expectJsonError(a!, 431, "headers_too_large");
    }
  });

  it("Node's own HTTP client sending a 70 kB key reads the JSON 431", async () => {
    const { hostname, port } = new URL(api.url);
    const answer = await new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
      const req = request(
        {
          host: hostname,
          port,
          path: "/v1/devices",
          headers: { "x-api-key": "x".repeat(70_000) },
          agent: false,
        },
        (res) => {
          let body = "";
          res.setEncoding("utf8");
          res.on("data", (c: string) => (body += c));
          res.on("end", () =>
            resolve({ status: res.statusCode!, type: String(res.headers["content-type"]), body }),
          );
        },
      );
      req.on("error", reject);
      req.end();
    });
    expect(answer.status).toBe(431);
    expect(answer.type).toMatch(/^application\/json/);
    expect(JSON.parse(answer.body)).toMatchObject({ error: "headers_too_large" });
  });

  it("just under the limit the app itself answers (401 JSON for an unknown key)", async () => {
    const request = get("/v1/devices", { "x-api-key": "k".repeat(MAX_HEADER_BYTES - 200) });
    expect(request.length).toBeLessThan(MAX_HEADER_BYTES);
    const [a] = parseResponses(await exchange(request.replace("\r\n\r\n", "\r\nConnection: close\r\n\r\n")));
    expectJsonError(a!, 401, "unauthorized");
  });

  it("malformed requests are JSON 400s", async () => {
    const malformed = [
      "FOO / HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET /v1/devices HTTP/1.1\r\nHost: x\r\nx-api-key: a\x01b\r\n\r\n",
      "GET /v1/de vices HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET /v1/devices HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
      "GET /v1/devices HTTP/9.9\r\nHost: x\r\n\r\n",
      "\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03",
    ];
    for (const raw of malformed) {
      const [a, ...more] = parseResponses(await exchange(raw));
      expect(more, JSON.stringify(raw)).toEqual([]);
      expectJsonError(a!, 400, "bad_request");
    }
  });

  it("requests the app's HTTP adapter cannot turn into a Request are JSON 400s", async () => {
    for (const raw of [
      "GET /v1\\devices HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
      "GET /v1/devices HTTP/1.1\r\nHost: local host\r\nConnection: close\r\n\r\n",
    ]) {
      const [a] = parseResponses(await exchange(raw));
      expectJsonError(a!, 400, "bad_request");
    }
  });

  it("what Node's HTTP layer would answer itself is JSON too: no Host, an Expect it cannot meet, CONNECT", async () => {
    const [noHost] = parseResponses(await exchange("GET /healthz HTTP/1.1\r\n\r\n"));
    expectJsonError(noHost!, 400, "bad_request");
    expect(JSON.parse(noHost!.body)).toMatchObject({ message: "an HTTP/1.1 request needs a Host header" });
    const [expectation] = parseResponses(
      await exchange("GET /healthz HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\nConnection: close\r\n\r\n"),
    );
    expectJsonError(expectation!, 417, "expectation_failed");
    const [connectAnswer] = parseResponses(
      await exchange("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"),
    );
    expectJsonError(connectAnswer!, 404, "not_found");
    // HTTP/1.0 needs no Host: the app answers.
    const [old] = parseResponses(await exchange("GET /healthz HTTP/1.0\r\n\r\n"));
    expect(old!.status).toBe(200);
  });

  it("a HEAD refused by the parser gets the headers of the JSON answer and no body", async () => {
    const text = await exchange(
      `HEAD /v1/devices HTTP/1.1\r\nHost: x\r\nx-api-key: ${"k".repeat(20_000)}\r\n\r\n`,
    );
    const end = text.indexOf("\r\n\r\n");
    expect(text.slice(0, end)).toMatch(/^HTTP\/1\.1 431 .*content-type: application\/json/is);
    expect(text.slice(end + 4)).toBe("");
  });

  it("a malformed request after a good one on a keep-alive connection: both answered, in order, in JSON", async () => {
    const answers = parseResponses(await exchange(`${get("/healthz")}BAD\r\n\r\n`));
    expect(answers.map((a) => a.status)).toEqual([200, 400]);
    expect(JSON.parse(answers[0]!.body)).toEqual({ status: "ok" });
    expectJsonError(answers[1]!, 400, "bad_request");
  });
});
