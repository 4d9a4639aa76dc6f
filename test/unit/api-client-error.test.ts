// The answers to errors Node's HTTP layer raises before the app runs: status
// per error code, and a complete HTTP/1.1 response with a JSON body.
import { expect, it } from "vitest";
import { clientErrorAnswer, isHeadRequest, rawJsonResponse } from "../../api/client-error.js";

const err = (code?: string, rawPacket?: string) =>
  Object.assign(new Error("parse error"), {
    ...(code ? { code } : {}),
    ...(rawPacket ? { rawPacket: Buffer.from(rawPacket) } : {}),
  });

it("maps parser and timeout errors to the right 4xx, in the error model", () => {
  const cases: [string | undefined, number, string][] = [
    ["HPE_HEADER_OVERFLOW", 431, "headers_too_large"],
    ["ERR_HTTP_REQUEST_TIMEOUT", 408, "request_timeout"],
    ["HPE_CHUNK_EXTENSIONS_OVERFLOW", 413, "payload_too_large"],
    ["HPE_INVALID_METHOD", 400, "bad_request"],
    ["HPE_INVALID_HEADER_TOKEN", 400, "bad_request"],
    [undefined, 400, "bad_request"],
  ];
  for (const [code, status, error] of cases) {
    const a = clientErrorAnswer(err(code));
    expect(a.status, code).toBe(status);
    expect(a.body.error, code).toBe(error);
    expect(a.body.message.length).toBeGreaterThan(10);
  }
  expect(clientErrorAnswer(err("HPE_HEADER_OVERFLOW")).body.message).toContain("16384 bytes");
});

it("writes a complete response whose Content-Length is the body's byte length; none for HEAD", () => {
  const body = { error: "bad_request", message: "naïve ünïcode" };
  const text = rawJsonResponse(400, body);
  const [head, payload] = text.split("\r\n\r\n") as [string, string];
  expect(head.split("\r\n")).toEqual([
    "HTTP/1.1 400 Bad Request",
    "Content-Type: application/json; charset=utf-8",
    `Content-Length: ${Buffer.byteLength(payload)}`,
    "Connection: close",
  ]);
  expect(JSON.parse(payload)).toEqual(body);
  expect(rawJsonResponse(431, body, true).endsWith("Connection: close\r\n\r\n")).toBe(true);
  expect(isHeadRequest(err("HPE_HEADER_OVERFLOW", "HEAD / HTTP/1.1\r\n"))).toBe(true);
  expect(isHeadRequest(err("HPE_HEADER_OVERFLOW", "GET / HTTP/1.1\r\n"))).toBe(false);
  expect(isHeadRequest(err("HPE_HEADER_OVERFLOW"))).toBe(false);
});
