// What carries the source's axios requests: an undici Agent (keep-alive
// connection pools per origin). axios stays the interface (its config and
// errors); this adapter only sends a GET and reads the body as text, which is
// all the source asks of it. Measured against the simulator
// (2,000 requests per burst, 64 in flight, CPU of the whole process): axios
// over node:http 0.19 ms per request, over undici 0.12 ms; node:http alone
// 0.11, undici alone 0.08 (bench/peer/README.md). Responses are gathered
// through the Agent's dispatch() with a handler of our own (TextResponse).
import "./llhttp-baseline.js";
import { Agent, type Dispatcher, errors } from "undici";
import {
  type AxiosAdapter,
  AxiosError,
  type AxiosResponse,
  type InternalAxiosRequestConfig,
} from "./axios.js";

const { RequestAbortedError } = errors;

export interface UndiciAdapterOptions {
  /** Connections per origin, like an http.Agent's maxSockets. */
  connections: number;
  /** Bounds connecting, as axios's timeout does (ms; 0 = undici's default). */
  connectTimeoutMs: number;
  /** Trusted CAs for https; undefined keeps Node's public roots. */
  ca?: string[];
  /** Sent with every request, under those the request's config names. */
  headers?: Record<string, string>;
  /**
   * The response headers (lower-case) handed to axios; the others are dropped.
   * axios normalises every header it is given twice per response, which was a
   * third of its CPU per request here; the source reads one (location).
   */
  responseHeaders: readonly string[];
}

export interface UndiciAdapter {
  adapter: AxiosAdapter;
  close(): Promise<void>;
}

interface Target {
  origin: string;
  path: string;
}

const ABSOLUTE = /^[a-z][a-z\d+\-.]*:\/\//i;

/** baseURL + url as axios joins them (an absolute url stands alone). */
export function targetOf(config: Pick<InternalAxiosRequestConfig, "baseURL" | "url">): Target {
  const url = config.url ?? "";
  const full =
    ABSOLUTE.test(url) || !config.baseURL
      ? new URL(url)
      : new URL(`${config.baseURL.replace(/\/+$/, "")}/${url.replace(/^\/+/, "")}`);
  if (full.protocol !== "http:" && full.protocol !== "https:")
    throw new TypeError(`unsupported protocol ${full.protocol}`);
  return { origin: full.origin, path: `${full.pathname}${full.search}` };
}

/** Timeouts end the request with ECONNABORTED, as axios's own adapter does. */
const TIMEOUT_CODES = new Set(["UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT", "UND_ERR_CONNECT_TIMEOUT"]);

export function toAxiosError(err: unknown, config: InternalAxiosRequestConfig): AxiosError {
  if (err instanceof AxiosError) return err;
  const e: Error & { code?: string } = err instanceof Error ? err : new Error(String(err));
  if (e.code && TIMEOUT_CODES.has(e.code))
    return new AxiosError(`timeout of ${config.timeout ?? 0}ms exceeded`, AxiosError.ECONNABORTED, config);
  // A connection error keeps its code (ECONNREFUSED, UND_ERR_SOCKET, ...), which the client's retries read.
  return AxiosError.from(e, e.code, config);
}

/** Resolves or rejects as axios's own adapters do (its `settle`). */
function settle(response: AxiosResponse<string>): AxiosResponse<string> {
  const valid = response.config.validateStatus;
  if (!valid || valid(response.status)) return response;
  throw new AxiosError(
    `Request failed with status code ${response.status}`,
    response.status < 500 ? AxiosError.ERR_BAD_REQUEST : AxiosError.ERR_BAD_RESPONSE,
    response.config,
    undefined,
    response,
  );
}

function headersOf(config: InternalAxiosRequestConfig, base: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = { ...base };
  for (const [name, value] of Object.entries(config.headers.toJSON()))
    if (value !== undefined && value !== null) out[name] = String(value);
  return out;
}

/** What one GET answered: status, the headers asked for, and the body as text. */
interface Answer {
  status: number;
  headers: Record<string, string | string[]>;
  data: string;
}

/**
 * Gathers one response through undici's handler interface: the body's chunks
 * are kept as they arrive and decoded once at the end. agent.request() wraps
 * the same callbacks in an async resource, a Readable stream and its consumer,
 * and parses every response header. At 100 devices that machinery was about a
 * sixth of V8's optimising compilations in the first minutes, and dropping it
 * took the ingester's CPU per request from 0.55-0.57 to 0.46 ms once warm
 * (one cycle per 10 s, two rounds each).
 */
class TextResponse implements Dispatcher.DispatchHandlers {
  private status = 0;
  private headers: Record<string, string | string[]> = {};
  private chunks: Buffer[] = [];
  private abort: ((err?: Error) => void) | undefined;

  constructor(
    private readonly wanted: readonly string[],
    private readonly resolve: (answer: Answer) => void,
    private readonly reject: (err: Error) => void,
    private readonly signal: AbortSignal | undefined,
  ) {
    signal?.addEventListener("abort", this.onAbort, { once: true });
  }

  private readonly onAbort = () => this.abort?.(abortReason(this.signal!));

  onConnect(abort: (err?: Error) => void): void {
    if (this.signal?.aborted) return abort(abortReason(this.signal));
    this.abort = abort;
    // A request retried on a fresh connection starts over.
    this.chunks = [];
  }

  onHeaders(statusCode: number, raw: Buffer[]): boolean {
    // 1xx answers are informational: the final one follows.
    if (statusCode < 200) return true;
    this.status = statusCode;
    this.headers = pick(raw, this.wanted);
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.chunks.push(chunk);
    return true;
  }

  onComplete(): void {
    this.signal?.removeEventListener("abort", this.onAbort);
    const body = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    const text = body.toString("utf8");
    // Decoded as the fetch spec's text() does (body.text() before): a leading BOM is dropped.
    this.resolve({
      status: this.status,
      headers: this.headers,
      data: text.charCodeAt(0) === 0xfeff ? text.slice(1) : text,
    });
  }

  onError(err: Error): void {
    this.signal?.removeEventListener("abort", this.onAbort);
    this.reject(err);
  }
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new RequestAbortedError();
}

/** The named (lower-case) headers of a raw undici header list, or none. */
function pick(raw: Buffer[], names: readonly string[]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  if (names.length === 0) return out;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toString("latin1").toLowerCase();
    if (!names.includes(name)) continue;
    const value = raw[i + 1]!.toString("utf8");
    const seen = out[name];
    out[name] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  return out;
}

export function undiciAdapter(options: UndiciAdapterOptions): UndiciAdapter {
  const agent = new Agent({
    connections: options.connections,
    connect: {
      ...(options.connectTimeoutMs ? { timeout: options.connectTimeoutMs } : {}),
      ...(options.ca ? { ca: options.ca } : {}),
    },
  });
  const adapter: AxiosAdapter = async (config) => {
    try {
      let target: Target;
      try {
        target = targetOf(config);
      } catch {
        throw new AxiosError(
          `Invalid URL: ${config.baseURL ?? ""}${config.url ?? ""}`,
          AxiosError.ERR_INVALID_URL,
          config,
        );
      }
      const answer = await new Promise<Answer>((resolve, reject) => {
        const handler = new TextResponse(
          options.responseHeaders,
          resolve,
          reject,
          config.signal as AbortSignal | undefined,
        );
        agent.dispatch(
          {
            origin: target.origin,
            path: target.path,
            method: (config.method ?? "get").toUpperCase() as "GET",
            headers: headersOf(config, options.headers ?? {}),
            // As axios's timeout: each bounds inactivity, waiting for headers and then for body chunks.
            headersTimeout: config.timeout ?? 0,
            bodyTimeout: config.timeout ?? 0,
          },
          handler,
        );
      });
      return settle({ ...answer, statusText: "", config });
    } catch (err) {
      throw toAxiosError(err, config);
    }
  };
  return { adapter, close: () => agent.close() };
}
