// The source stage: the IoT API over axios, with keep-alive, a per-request
// timeout and retries (exponential backoff with jitter) for timeouts,
// connection errors and 5xx, never for 4xx. Answers are validated entry by
// entry and turned into Samples; anything malformed is returned as rejected.
import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import { readFileSync } from "node:fs";
import { rootCertificates } from "node:tls";
import { Axios, type AxiosResponse, isAxiosError } from "./axios.js";
import { setTimeout as sleep } from "node:timers/promises";
import { z } from "zod";
import { CURRENT_READING_METRICS, HISTORY_METRIC, METRIC, type Metric } from "../../shared/schema.js";
import {
  type Device,
  type ParsedList,
  type Rejected,
  currentReadingSchema,
  historyEntrySchema,
  historyEnvelopeSchema,
  parseDeviceList,
  reasonOf,
} from "./responses.js";
import type { Sample } from "../sample.js";
import { type UndiciAdapter, undiciAdapter } from "./undici-adapter.js";
import { parseLocalTimestampUs } from "./timestamps.js";

export interface IotApiClientOptions {
  baseUrl: string;
  timeoutMs: number;
  retries: number;
  /** First retry delay; doubles per attempt, with jitter. */
  retryBaseDelayMs: number;
  timeZone: string;
  /** PEM CA to trust besides the public ones (IOT_API_CA_FILE). */
  caFile?: string;
  /** Called once per HTTP attempt, for the request-duration histogram. */
  onAttempt?: (endpoint: string, status: string, seconds: number) => void;
  /** Called before each retry. */
  onRetry?: (endpoint: string, attempt: number, reason: string) => void;
}

export interface FetchResult {
  samples: Sample[];
  rejected: Rejected[];
}

/** Physically plausible bounds: values outside are sensor garbage, not anomalies. */
const PLAUSIBLE: Record<Metric, [number, number]> = {
  [METRIC.temperature]: [-90, 150],
  [METRIC.humidity]: [0, 100],
  [METRIC.activityLevel]: [0, 1_000_000],
  [METRIC.batteryLevel]: [0, 100],
};

/** Path templates, for metric labels and for choosing the current-reading path. */
function endpointOf(url: string): string {
  return url
    .replace(/^\/iot_objects\/by_client\/[^/]+$/, "/iot_objects/by_client/:client")
    .replace(/^\/iot_objects\/[^/]+\/history$/, "/iot_objects/:id/history")
    .replace(/^\/iot_objects\/[^/]+$/, "/iot_objects/:id")
    .replace(/^\/iot_data\/[^/]+$/, "/iot_data/:id");
}

export class UpstreamError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = "UpstreamError";
  }
}

const CURRENT_PATHS = ["/iot_objects/", "/iot_data/"] as const;

/**
 * Why a failed request deserves another attempt, or undefined when it does not:
 * a timeout or a connection error might heal; an unknown host, a refused
 * certificate or a bad URL will not within a cycle (as axios-retry judged them).
 */
function retryReason(err: unknown): string | undefined {
  if (!isAxiosError(err) || err.response || !err.code) return undefined;
  if (
    /^(ENOTFOUND|ENETUNREACH|ERR_INVALID_URL|ERR_CANCELED|ERR_BAD_OPTION.*|UND_ERR_INVALID_ARG)$/.test(
      err.code,
    )
  )
    return undefined;
  if (/CERT|^ERR_TLS|^ERR_SSL|^UNABLE_TO_/.test(err.code)) return undefined;
  return err.code;
}

/** Whether a proxy variable is set (read once: the environment does not change under a running process). */
function proxyConfigured(): boolean {
  return ["http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"].some((v) => process.env[v]);
}

export class IotApiClient {
  private readonly http: Axios;
  /** Which current-reading path this upstream serves, once a call succeeded. */
  private currentPath: (typeof CURRENT_PATHS)[number] | undefined;
  /** What carries the requests when no proxy is configured. */
  private readonly transport: UndiciAdapter | undefined;

  constructor(private readonly options: IotApiClientOptions) {
    // Node's `ca` replaces its bundle: keep the public roots next to the custom CA.
    const ca = options.caFile ? [...rootCertificates, readFileSync(options.caFile, "utf8")] : undefined;
    this.transport = proxyConfigured()
      ? undefined
      : undiciAdapter({
          connections: 64,
          connectTimeoutMs: options.timeoutMs,
          ca,
          headers: { accept: "application/json" },
          responseHeaders: ["location"],
        });
    // `new Axios(config)` takes this config as the whole of its defaults, where
    // axios.create merges it into axios's own (browser xsrf names, form
    // handling, one header set per HTTP method), which every request then
    // deep-merges again: 62 against 27 µs of CPU per request with a no-op
    // adapter, about 7 % of the ingester's CPU per request at 1,000 devices.
    // The source sends bodiless GETs only, so none of those defaults apply;
    // each key left is merged and copied per request, so the undici adapter
    // takes its header and the text body as its own options (16 -> 5 µs).
    this.http = new Axios({
      baseURL: options.baseUrl,
      timeout: options.timeoutMs,
      // We parse ourselves: axios would silently hand back a string for bad JSON.
      transformResponse: [(data: unknown) => data],
      validateStatus: () => true,
      // undici (undici-adapter.ts) unless a proxy variable asks for axios's own adapter, which honours it.
      ...(this.transport
        ? { adapter: this.transport.adapter }
        : {
            responseType: "text",
            headers: { Accept: "application/json" },
            // Redirects are not followed: getJson reports one, so a moved upstream is a clear error.
            maxRedirects: 0,
            httpAgent: new HttpAgent({ keepAlive: true, maxSockets: 64 }),
            httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: 64, ...(ca ? { ca } : {}) }),
          }),
    });
  }

  /**
   * GET with retries: timeouts, connection errors and 5xx are tried again
   * (each attempt with its own timeout) after a backoff that starts at
   * retryBaseDelayMs and doubles, with up to 20 % jitter; a 4xx never is.
   */
  private async getWithRetries(path: string): Promise<AxiosResponse<string>> {
    for (let attempt = 0; ; attempt++) {
      let res: AxiosResponse<string> | undefined;
      let failure: unknown;
      // Every attempt is timed for the request-duration histogram, retries included. Timed
      // here rather than in axios interceptors, which would chain three promises per request.
      const started = performance.now();
      try {
        // request() rather than get(): get() merges its arguments into one more config first.
        res = await this.http.request<string>({ url: path });
        this.observe(path, String(res.status), started);
      } catch (err) {
        failure = err;
        this.observe(path, isAxiosError(err) ? (err.code ?? "error") : "error", started);
      }
      const reason = res ? (res.status >= 500 ? `HTTP ${res.status}` : undefined) : retryReason(failure);
      if (res && reason === undefined) return res;
      if (reason === undefined || attempt >= this.options.retries) {
        if (res) throw new UpstreamError(`HTTP ${res.status} from ${path}`, res.status);
        throw isAxiosError(failure)
          ? new UpstreamError(`${failure.code ?? failure.message} on ${path}`)
          : (failure as Error);
      }
      this.options.onRetry?.(endpointOf(path), attempt + 1, reason);
      const delay = this.options.retryBaseDelayMs * 2 ** attempt;
      await sleep(delay + delay * 0.2 * Math.random());
    }
  }

  /** Closes idle upstream connections. */
  async close(): Promise<void> {
    await this.transport?.close();
  }

  private observe(path: string, status: string, started: number) {
    this.options.onAttempt?.(endpointOf(path), status, (performance.now() - started) / 1000);
  }

  /** GET path; returns status and parsed JSON, or throws UpstreamError (after retries). */
  private async getJson(path: string): Promise<{ status: number; body: unknown }> {
    const res = await this.getWithRetries(path);
    let body: unknown;
    try {
      body = JSON.parse(res.data);
    } catch {
      body = undefined;
    }
    if (res.status >= 300 && res.status < 400)
      throw new UpstreamError(
        `HTTP ${res.status} from ${path}: redirected to ${String(res.headers.location ?? "nowhere")}; set IOT_API_URL to the address it points to (redirects are not followed)`,
        res.status,
      );
    if (body === undefined && res.status < 300)
      throw new UpstreamError(`malformed JSON from ${path}`, res.status);
    return { status: res.status, body };
  }

  async listDevices(): Promise<ParsedList<Device>> {
    const { status, body } = await this.getJson("/iot_objects");
    if (status !== 200) throw new UpstreamError(`HTTP ${status} from /iot_objects`, status);
    return parseDeviceList(body);
  }

  /** The device's history, as samples of its type's main metric. */
  async history(device: Device): Promise<FetchResult> {
    const path = `/iot_objects/${encodeURIComponent(device.id)}/history`;
    const { status, body } = await this.getJson(path);
    if (status !== 200) throw new UpstreamError(`HTTP ${status} from ${path}`, status);
    const envelope = historyEnvelopeSchema.safeParse(body);
    if (!envelope.success)
      return { samples: [], rejected: [{ reason: `history ${reasonOf(envelope.error)}` }] };
    if (envelope.data.id !== device.id || envelope.data.type !== device.type) {
      return {
        samples: [],
        rejected: [{ reason: `history answers for ${envelope.data.id}/${envelope.data.type}` }],
      };
    }
    const metric = HISTORY_METRIC[device.type];
    // A damaged entry is only rejected: its slot stays open in the watermark and a later answer fills it.
    const result: FetchResult = { samples: [], rejected: [] };
    for (const raw of envelope.data.history) {
      const entry = historyEntrySchema.safeParse(raw);
      if (!entry.success) result.rejected.push({ reason: `history entry ${reasonOf(entry.error)}` });
      else this.addSample(result, device, metric, entry.data.timestamp, entry.data.value);
    }
    return result;
  }

  /** The current reading, as samples of the metrics taken from it (battery). */
  async current(device: Device): Promise<FetchResult> {
    const body = await this.currentBody(device);
    const reading = currentReadingSchema.safeParse(body);
    if (!reading.success)
      return { samples: [], rejected: [{ reason: `current reading ${reasonOf(reading.error)}` }] };
    if (reading.data.id !== device.id)
      return { samples: [], rejected: [{ reason: `reading answers for ${reading.data.id}` }] };
    const result: FetchResult = { samples: [], rejected: [] };
    for (const metric of CURRENT_READING_METRICS) {
      const value = reading.data.metrics[metric];
      if (value === null) result.rejected.push({ reason: `current reading has no ${metric}` });
      else this.addSample(result, device, metric, reading.data.timestamp, value);
    }
    return result;
  }

  /**
   * The upstream serves current readings at /iot_objects/{id}; the course
   * names /iot_data/{id}. Try both until one answers, then stick to it. A JSON
   * 404 ({"error": ...}) is the device being gone, not a missing route.
   */
  private async currentBody(device: Device): Promise<unknown> {
    const paths = this.currentPath ? [this.currentPath] : CURRENT_PATHS;
    let last: UpstreamError | undefined;
    for (const prefix of paths) {
      const path = `${prefix}${encodeURIComponent(device.id)}`;
      const { status, body } = await this.getJson(path);
      if (status === 200) {
        this.currentPath = prefix;
        return body;
      }
      last = new UpstreamError(`HTTP ${status} from ${path}`, status);
      const isJsonError = z.object({ error: z.string() }).safeParse(body).success;
      if (status !== 404 || isJsonError) break;
    }
    throw last ?? new UpstreamError("no current-reading path answered");
  }

  /** Adds a valid sample to `result`, or a rejection. */
  private addSample(
    result: FetchResult,
    device: Device,
    metric: Metric,
    timestamp: string,
    value: number,
  ): void {
    const timeUs = parseLocalTimestampUs(timestamp, this.options.timeZone);
    const [lo, hi] = PLAUSIBLE[metric];
    if (timeUs === null) {
      result.rejected.push({ reason: `bad timestamp ${JSON.stringify(timestamp).slice(0, 60)}` });
      return;
    }
    if (value < lo || value > hi) {
      result.rejected.push({ reason: `${metric} ${value} outside [${lo}, ${hi}]` });
      return;
    }
    result.samples.push({
      device: device.id,
      client: device.client,
      type: device.type,
      metric,
      timeUs,
      value,
    });
  }
}
