// A recording HTTP proxy between the ingester and the IoT API (simulator):
// every answer passes through unchanged, and the test learns exactly what
// was served. For each device it keeps the minute of every valid history
// entry with the first value served for it, and counts valid current
// readings, so a test can compare what InfluxDB holds with what the upstream
// actually handed out (faithful mode draws new values on every call).
// "Valid" is what the ingester's own answer schemas accept: this is a test of
// what happens to valid data, not of validation.
import { type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { currentReadingSchema, historyEntrySchema } from "../../ingest/source/responses.js";

export interface ServedHistory {
  /** minute start (ms) -> the first valid value served for it */
  minutes: Map<number, number>;
  /** Current readings served with a timestamp and a battery level. */
  readings: number;
}

export interface RecordingProxy {
  readonly url: string;
  /** device id -> what it was served so far */
  readonly served: Map<string, ServedHistory>;
  /** History answers recorded so far. */
  historyAnswers(): number;
  close(): Promise<void>;
}

const HISTORY = /^\/iot_objects\/([^/?]+)\/history$/;
const READING = /^\/(?:iot_objects|iot_data)\/([^/?]+)$/;
const MINUTE_MS = 60_000;

/** Served timestamps are naive UTC with microseconds: the minute they fall in, ms. */
function minuteOf(timestamp: string): number | undefined {
  const ms = Date.parse(`${timestamp.slice(0, 23)}Z`);
  return Number.isNaN(ms) ? undefined : Math.floor(ms / MINUTE_MS) * MINUTE_MS;
}

export async function startRecordingProxy(upstream: string): Promise<RecordingProxy> {
  const served = new Map<string, ServedHistory>();
  let answers = 0;
  const entry = (id: string) => {
    let s = served.get(id);
    if (!s) served.set(id, (s = { minutes: new Map(), readings: 0 }));
    return s;
  };
  const record = (path: string, status: number, text: string) => {
    if (status !== 200) return;
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return;
    }
    const history = HISTORY.exec(path);
    if (history) {
      answers++;
      const list = (body as { history?: unknown }).history;
      if (!Array.isArray(list)) return;
      const s = entry(decodeURIComponent(history[1]!));
      for (const raw of list) {
        const e = historyEntrySchema.safeParse(raw);
        if (!e.success) continue;
        const minute = minuteOf(e.data.timestamp);
        if (minute !== undefined && !s.minutes.has(minute)) s.minutes.set(minute, e.data.value);
      }
      return;
    }
    const reading = READING.exec(path);
    if (reading) {
      const id = decodeURIComponent(reading[1]!);
      const r = currentReadingSchema.safeParse(body);
      if (r.success && r.data.id === id && r.data.metrics.battery_level !== null) entry(id).readings++;
    }
  };
  const server: Server = createServer((req, res) => {
    const path = req.url ?? "/";
    fetch(`${upstream}${path}`)
      .then(async (up) => {
        const text = await up.text();
        // Only what reached the ingester counts as served: an answer to a request it
        // gave up on (timeout, then a retry) never did.
        if (req.socket.destroyed) return;
        res.writeHead(up.status, { "content-type": up.headers.get("content-type") ?? "application/json" });
        res.end(text, () => {
          if (!req.socket.destroyed || res.writableFinished) record(path, up.status, text);
        });
      })
      .catch((err: unknown) => {
        res.writeHead(502, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: `proxy: ${(err as Error).message}` }));
      });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    served,
    historyAnswers: () => answers,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
