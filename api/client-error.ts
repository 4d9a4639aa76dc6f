// Requests Node's HTTP layer answers itself, before the app sees them
// (headers over the limit, malformed request lines, timeouts, an Expect header
// it cannot meet, CONNECT), get the API's JSON error model too. Node's own handler answers them with an empty body and then destroys
// the socket; when the client is still sending (a header block past ~64 kB),
// that destroy turns into a TCP reset and the client never reads the answer.
// Here the answer is JSON, and the socket keeps reading (and discarding) what
// the client still sends until it has finished, for a bounded time.
import { type IncomingMessage, STATUS_CODES, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { RequestError } from "@hono/node-server";
import type { ErrorBody } from "./errors.js";

/** Request line and headers together, in bytes: Node's default, set explicitly so no flag changes it. */
export const MAX_HEADER_BYTES = 16 * 1024;

/** How long a refused client may keep sending before its socket is closed anyway. */
export const DRAIN_TIMEOUT_MS = 10_000;

interface ParserError extends Error {
  code?: string;
  /** The chunk the parser failed on (Node sets it on parse errors). */
  rawPacket?: Buffer;
}

/**
 * Whether the refused request is a HEAD, whose answer must have no body. The
 * parser does not say; the failing chunk starts with the request line when
 * the request arrived in one read (nearly always). Otherwise the body is sent:
 * a JSON answer matters more than a rare slow HEAD with oversized headers.
 */
export function isHeadRequest(err: ParserError): boolean {
  return err.rawPacket?.subarray(0, 5).toString("latin1") === "HEAD ";
}

/** Status and JSON body for an error the HTTP layer raised. */
export function clientErrorAnswer(err: ParserError): { status: number; body: ErrorBody } {
  switch (err.code) {
    case "HPE_HEADER_OVERFLOW":
      return {
        status: 431,
        body: {
          error: "headers_too_large",
          message: `the request line and headers exceed ${MAX_HEADER_BYTES} bytes (16 KiB) together: send a shorter URL or smaller headers`,
        },
      };
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return {
        status: 408,
        body: { error: "request_timeout", message: "the request was not received in time" },
      };
    case "HPE_CHUNK_EXTENSIONS_OVERFLOW":
      return {
        status: 413,
        body: { error: "payload_too_large", message: "chunk extensions too large" },
      };
    default:
      return {
        status: 400,
        body: {
          error: "bad_request",
          message: `malformed HTTP request${err.code ? ` (${err.code})` : ""}: the server could not parse it`,
        },
      };
  }
}

/** A complete HTTP/1.1 response with a JSON body (only its headers for HEAD), closing the connection. */
export function rawJsonResponse(status: number, body: ErrorBody, head = false): string {
  const json = JSON.stringify(body);
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? "Error"}\r\n` +
    "Content-Type: application/json; charset=utf-8\r\n" +
    `Content-Length: ${Buffer.byteLength(json)}\r\n` +
    "Connection: close\r\n\r\n" +
    (head ? "" : json)
  );
}

/**
 * Every answer the HTTP layer would give on its own, in the API's error model:
 * `clientError` (parse errors, oversized headers, timeouts), `checkExpectation`
 * (an Expect other than 100-continue: Node's 417 has no body) and `connect`
 * (CONNECT: Node would close the connection without a word).
 */
export function answerHttpLayer(server: Server): void {
  answerClientErrors(server);
  server.on("checkExpectation", (req: IncomingMessage, res: ServerResponse) => {
    const body: ErrorBody = {
      error: "expectation_failed",
      message: `cannot meet Expect: ${String(req.headers.expect).slice(0, 100)}; only 100-continue is supported`,
    };
    sendJson(res, 417, body);
  });
  server.on("connect", (req: IncomingMessage, socket: Socket) => {
    // Same answer as any method the API has no route for.
    const body: ErrorBody = {
      error: "not_found",
      message: `no route CONNECT ${req.url ?? ""}`.slice(0, 300),
    };
    socket.end(rawJsonResponse(404, body));
    const timer = setTimeout(() => socket.destroy(), DRAIN_TIMEOUT_MS);
    timer.unref();
    socket.once("close", () => clearTimeout(timer));
  });
}

/** Answers every `clientError` of `server` in the API's error model. */
export function answerClientErrors(server: Server): void {
  // The parser keeps reporting the same error for every further chunk it is fed: answer once.
  const answered = new WeakSet<Socket>();
  server.on("clientError", (err: ParserError, socket: Socket) => {
    if (answered.has(socket)) return;
    answered.add(socket);
    if (err.code === "ECONNRESET" || !socket.writable) {
      socket.destroy();
      return;
    }
    const { status, body } = clientErrorAnswer(err);
    const head = isHeadRequest(err);
    const answer = () => {
      if (!socket.writable) {
        socket.destroy();
        return;
      }
      // end(), not destroy(): the socket half-closes and goes on reading, so data the
      // client is still sending is consumed rather than answered with a reset that would
      // discard this response at the client. The client closes once it has read it; the
      // timer bounds a client that never does.
      socket.end(rawJsonResponse(status, body, head));
      const timer = setTimeout(() => socket.destroy(), DRAIN_TIMEOUT_MS);
      timer.unref();
      socket.once("close", () => clearTimeout(timer));
    };
    // A pipelined request before the bad one may still be answering: let it finish
    // first (writing now would cut it off or corrupt it), then answer in order.
    const inFlight = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
    if (inFlight && !inFlight.writableFinished) {
      inFlight.once("finish", answer);
      inFlight.once("close", () => {
        if (!inFlight.writableFinished) socket.destroy();
      });
    } else answer();
  });
}

/**
 * @hono/node-server's errorHandler: a request it cannot turn into a fetch
 * Request (a backslash in the path, a bad Host header) is a 400 in the error
 * model instead of its empty 400; anything else would be a bug (500).
 */
export function requestErrorResponse(err: unknown): Response {
  const bad = err instanceof RequestError;
  const body: ErrorBody = bad
    ? { error: "bad_request", message: `invalid request: ${err.message}` }
    : { error: "internal", message: "internal error" };
  return new Response(JSON.stringify(body), {
    status: bad ? 400 : 500,
    headers: { "Content-Type": "application/json; charset=utf-8" },
  });
}

/**
 * HTTP/1.1 requires a Host header (RFC 9112, 3.2): without one, a JSON 400.
 * Node's own check (requireHostHeader) answers with an empty body, so the
 * server turns it off and calls this first. Returns whether it answered.
 */
export function refuseMissingHost(req: IncomingMessage, res: ServerResponse): boolean {
  if (req.httpVersion !== "1.1" || req.headers.host !== undefined) return false;
  const body: ErrorBody = { error: "bad_request", message: "an HTTP/1.1 request needs a Host header" };
  sendJson(res, 400, body);
  return true;
}

function sendJson(res: ServerResponse, status: number, body: ErrorBody): void {
  const json = JSON.stringify(body);
  res.writeHead(status, {
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": Buffer.byteLength(json),
    Connection: "close",
  });
  res.end(json);
}
