// What carries the source's axios requests: an undici Agent (keep-alive
// connection pools per origin). axios stays the interface (its config and
// errors); this adapter only sends a GET and reads the body as text, which is
// all the source asks of it. Measured against the simulator
// (2,000 requests per burst, 64 in flight, CPU of the whole process): axios
// over node:http 0.19 ms per request, over undici 0.12 ms; node:http alone
// 0.11, undici alone 0.08 (bench/peer/README.md).
import "./llhttp-baseline.js";
import { Agent } from "undici";
import {
  type AxiosAdapter,
  AxiosError,
  type AxiosResponse,
  type InternalAxiosRequestConfig,
} from "./axios.js";

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

/** The named headers of an undici response, or none. */
function pick(headers: Record<string, unknown>, names: readonly string[]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const name of names) {
    const value = headers[name];
    if (typeof value === "string" || Array.isArray(value)) out[name] = value as string | string[];
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
      const res = await agent.request({
        origin: target.origin,
        path: target.path,
        method: (config.method ?? "get").toUpperCase() as "GET",
        headers: headersOf(config, options.headers ?? {}),
        // As axios's timeout: each bounds inactivity, waiting for headers and then for body chunks.
        headersTimeout: config.timeout ?? 0,
        bodyTimeout: config.timeout ?? 0,
        ...(config.signal ? { signal: config.signal } : {}),
      });
      const data = await res.body.text();
      return settle({
        data,
        status: res.statusCode,
        statusText: "",
        headers: pick(res.headers, options.responseHeaders),
        config,
      });
    } catch (err) {
      throw toAxiosError(err, config);
    }
  };
  return { adapter, close: () => agent.close() };
}
