// Fault injection: what a sleepy free-tier host and its proxy do to clients.
// Faults change real bytes, statuses and delays on the wire; they are set at
// start-up and replaced at run time through /_sim/faults.
import type { HttpBindings } from "@hono/node-server";
import type { MiddlewareHandler } from "hono";
import { z } from "zod";
import type { Rng } from "./random.js";

const rate = z.number().min(0, "expected a rate in 0..1").max(1, "expected a rate in 0..1");
const ms = z
  .number()
  .int("expected an integer number of milliseconds")
  .min(0, "expected milliseconds in 0..600000")
  .max(600_000, "expected milliseconds in 0..600000");

export const faultConfigSchema = z.strictObject({
  /** Added to every data request. */
  latencyMs: ms,
  /** Extra uniform delay in [0, jitterMs]. */
  jitterMs: ms,
  /** Fraction of data requests answered 500 or 503. */
  errorRate: rate,
  /** Fraction of those errors sent as an HTML page (like a hosting proxy) rather than JSON. */
  errorHtmlShare: rate,
  /** Fraction of data requests that hang for hangMs... */
  hangRate: rate,
  hangMs: ms,
  /** ...then close the connection without an answer, or answer normally. */
  hangThen: z.enum(["close", "answer"], { error: "expected close or answer" }),
  /** Fraction of 200 answers whose body is not valid JSON. */
  malformedRate: rate,
  /** Fraction of 200 answers whose JSON is cut mid-way. */
  truncatedRate: rate,
  /** Per object (list entry, reading, history entry): chance that one field is missing. */
  missingFieldRate: rate,
  /** Per history entry: chance to be swapped with the next one. */
  outOfOrderRate: rate,
  /** Per history entry: chance to be sent twice. */
  duplicateRate: rate,
  /** Delay of the first data request after idleMs without one (and of the very first). */
  coldStartMs: ms,
  idleMs: ms,
});

export type FaultConfig = z.infer<typeof faultConfigSchema>;
export const faultPatchSchema = faultConfigSchema.partial();
export type FaultPatch = z.infer<typeof faultPatchSchema>;

export const NO_FAULTS: Readonly<FaultConfig> = Object.freeze({
  latencyMs: 0,
  jitterMs: 0,
  errorRate: 0,
  errorHtmlShare: 0.5,
  hangRate: 0,
  hangMs: 30_000,
  hangThen: "close",
  malformedRate: 0,
  truncatedRate: 0,
  missingFieldRate: 0,
  outOfOrderRate: 0,
  duplicateRate: 0,
  coldStartMs: 0,
  idleMs: 0,
});

/** What a handler serves, so faults can damage its structure before serialisation. */
export type PayloadKind = "list" | "reading" | "history" | "other";

const HTML_PAGES = {
  500:
    "<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>\n<h1>Internal Server Error</h1>\n" +
    "<p>The server encountered an internal error and was unable to complete your request. Either the server " +
    "is overloaded or there is an error in the application.</p>\n",
  503:
    "<!DOCTYPE html>\n<html>\n<head><title>503 Service Unavailable</title></head>\n<body>\n" +
    "<h1>Service Unavailable</h1>\n<p>The application is starting or overloaded. Please try again in a few " +
    "moments.</p>\n</body>\n</html>\n",
} as const;

export class FaultInjector {
  private current: FaultConfig;
  /** Monotonic ms of the last data request; undefined = never (the host starts asleep). */
  private lastRequest: number | undefined;
  private waking: Promise<void> | undefined;

  constructor(
    initial: FaultPatch,
    private readonly rng: Rng,
    /** Aborted when the server stops, so hangs and delays end at once. */
    private readonly stopping: AbortSignal,
  ) {
    this.current = { ...NO_FAULTS, ...initial };
  }

  get config(): FaultConfig {
    return { ...this.current };
  }

  /** Applies a validated partial config; returns the effective one. */
  update(patch: FaultPatch): FaultConfig {
    this.current = { ...this.current, ...patch };
    return this.config;
  }

  heal(): FaultConfig {
    this.current = { ...NO_FAULTS };
    return this.config;
  }

  private chance(p: number): boolean {
    return p > 0 && this.rng() < p;
  }

  private sleep(delay: number): Promise<void> {
    if (delay <= 0 || this.stopping.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.stopping.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, delay);
      this.stopping.addEventListener("abort", done);
    });
  }

  /** Concurrent requests during a cold start all wait for the same wake-up. */
  private async coldStart(): Promise<void> {
    const { coldStartMs, idleMs } = this.current;
    const now = performance.now();
    const idle = this.lastRequest === undefined || now - this.lastRequest >= idleMs;
    this.lastRequest = now;
    if (this.waking) return this.waking;
    if (coldStartMs <= 0 || !idle) return;
    this.waking = this.sleep(coldStartMs).finally(() => {
      this.waking = undefined;
      this.lastRequest = performance.now();
    });
    return this.waking;
  }

  /** Middleware for the data endpoints (never the /_sim/ control ones). */
  middleware(): MiddlewareHandler<{ Bindings: HttpBindings }> {
    return async (c, next) => {
      await this.coldStart();
      const { latencyMs, jitterMs, hangRate, hangMs, hangThen, errorRate, errorHtmlShare } = this.current;
      await this.sleep(latencyMs + (jitterMs > 0 ? Math.floor(this.rng() * (jitterMs + 1)) : 0));
      if (this.chance(hangRate)) {
        await this.sleep(hangMs);
        if (hangThen === "close" || this.stopping.aborted) {
          c.env?.incoming?.socket.destroy();
          return new Response(null, { status: 499 });
        }
      }
      if (this.chance(errorRate)) {
        const status = this.rng() < 0.5 ? 500 : 503;
        if (this.chance(errorHtmlShare)) return c.html(HTML_PAGES[status], status);
        return c.json({ error: status === 500 ? "Internal Server Error" : "Service Unavailable" }, status);
      }
      await next();
    };
  }

  /** Serialises a 200 payload, damaging its structure and then its bytes as configured. */
  render(payload: unknown, kind: PayloadKind): string {
    const { missingFieldRate, outOfOrderRate, duplicateRate, malformedRate, truncatedRate } = this.current;
    let data = payload;
    if (kind === "history" && (duplicateRate > 0 || outOfOrderRate > 0))
      data = this.disorderHistory(data as { history: unknown[] });
    if (missingFieldRate > 0) data = this.dropFields(data, kind);
    const text = JSON.stringify(data);
    if (this.chance(malformedRate)) return malform(text);
    if (this.chance(truncatedRate)) return text.slice(0, Math.max(1, Math.floor(text.length / 2)));
    return text;
  }

  private disorderHistory(body: { history: unknown[] }): { history: unknown[] } {
    const { duplicateRate, outOfOrderRate } = this.current;
    const entries: unknown[] = [];
    for (const e of body.history) {
      entries.push(e);
      if (this.chance(duplicateRate)) entries.push(e);
    }
    for (let i = 0; i + 1 < entries.length; i++) {
      if (this.chance(outOfOrderRate)) {
        [entries[i], entries[i + 1]] = [entries[i + 1], entries[i]];
        i++; // a swapped pair stays swapped
      }
    }
    return { ...body, history: entries };
  }

  private dropFields(data: unknown, kind: PayloadKind): unknown {
    const maybeDrop = (obj: Record<string, unknown>): Record<string, unknown> => {
      if (!this.chance(this.current.missingFieldRate)) return obj;
      const keys = Object.keys(obj);
      const victim = keys[Math.floor(this.rng() * keys.length)];
      const { [victim ?? ""]: _gone, ...rest } = obj;
      return rest;
    };
    if (kind === "list" && Array.isArray(data))
      return data.map((d) => maybeDrop(d as Record<string, unknown>));
    if (kind === "reading") {
      const r = data as Record<string, unknown>;
      // Half the damage inside `metrics`, half at the top level.
      if (this.rng() < 0.5 && r.metrics)
        return { ...r, metrics: maybeDrop(r.metrics as Record<string, unknown>) };
      return maybeDrop(r);
    }
    if (kind === "history") {
      const h = data as { history: Record<string, unknown>[] };
      return { ...h, history: h.history.map(maybeDrop) };
    }
    return data;
  }
}

/** Invalid JSON the way a Python service produces it: a bare NaN, else a trailing comma. */
function malform(text: string): string {
  // A number right after a key's colon, never digits inside a string such as a timestamp.
  const withNaN = text.replace(/(":)-?\d+(\.\d+)?(?=[,}\]])/, "$1NaN");
  if (withNaN !== text) return withNaN;
  return `${text.slice(0, -1)},${text.slice(-1)}`;
}
