// Runs Flux through the official client's QueryApi with a bounded time, and
// turns "InfluxDB is down, slow or unusable" into one error the API answers
// with 503, so callers never see a raw network error.
import { AsyncLocalStorage } from "node:async_hooks";
import {
  HttpError,
  chunksToLinesIterable,
  linesToRowsIterable,
  type InfluxDB,
  type ParameterizedQuery,
  RequestTimedOutError,
} from "@influxdata/influxdb-client";

export class InfluxUnavailableError extends Error {
  constructor(reason: string, options?: ErrorOptions) {
    super(reason, options);
    this.name = "InfluxUnavailableError";
  }
}

export interface QueryRunner {
  rows<T>(query: ParameterizedQuery): Promise<T[]>;
  /** true when InfluxDB answers `query` in time (readiness). */
  ping(query: ParameterizedQuery): Promise<boolean>;
}

/** Which failures mean "unavailable" (503) rather than a bug in our query (500). */
function unavailableReason(err: unknown): string | undefined {
  if (err instanceof InfluxUnavailableError) return err.message;
  if (err instanceof RequestTimedOutError) return "InfluxDB query timed out";
  if (err instanceof HttpError) {
    // 400 is a query we built wrongly: a bug, not an outage. 401/403/404 are a
    // token or bucket problem of the deployment, which the caller cannot fix either.
    if (err.statusCode >= 500 || [401, 403, 404, 429].includes(err.statusCode))
      return `InfluxDB answered HTTP ${err.statusCode}`;
    return undefined;
  }
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === "string") return `InfluxDB unreachable (${code})`;
  if (err instanceof Error && /socket|ECONN|network|aborted|timed? ?out/i.test(err.message))
    return `InfluxDB unreachable (${err.message})`;
  return undefined;
}

/**
 * The abort signal of the HTTP request being answered (set by the API's
 * middleware): a client that hangs up cancels the InfluxDB queries made for it.
 */
export const requestSignal = new AsyncLocalStorage<AbortSignal>();

/** What the client's QueryApi sends: annotated CSV, which linesToRowsIterable reads. */
const DIALECT = {
  header: true,
  delimiter: ",",
  quoteChar: '"',
  commentPrefix: "#",
  annotations: ["datatype", "group", "default"],
};

/**
 * Every query is bounded by `timeoutMs` and by the caller's request signal.
 * Either one aborts the HTTP request to InfluxDB (its socket is destroyed),
 * which ends the query inside influxd too: an abandoned query must not keep
 * running and starve the next caller (a timed-out query used to go on in
 * influxd for 13-27 s). The client's QueryApi cannot do that: its cancel()
 * only stops delivering rows and drains the rest, so the query is sent
 * through the client's own transport with an AbortSignal, and its CSV read
 * with the client's own parser.
 */
export function createQueryRunner(client: InfluxDB, org: string, timeoutMs: number): QueryRunner {
  const path = `/api/v2/query?org=${encodeURIComponent(org)}`;
  const run = async <T>(query: ParameterizedQuery): Promise<T[]> => {
    const abort = new AbortController();
    const caller = requestSignal.getStore();
    let reason = "";
    const stop = (why: string) => {
      reason ||= why;
      abort.abort();
    };
    const timer = setTimeout(() => stop("InfluxDB query timed out"), timeoutMs);
    const onGone = () => stop("request abandoned by its client");
    if (caller?.aborted) onGone();
    caller?.addEventListener("abort", onGone, { once: true });
    try {
      const chunks = client.transport.iterate(
        path,
        JSON.stringify({ query: query.toString(), dialect: DIALECT }),
        {
          method: "POST",
          headers: { "content-type": "application/json; encoding=utf-8" },
          signal: abort.signal,
        },
      );
      const out: T[] = [];
      for await (const { values, tableMeta } of linesToRowsIterable(chunksToLinesIterable(chunks)))
        out.push(tableMeta.toObject(values) as T);
      if (reason) throw new InfluxUnavailableError(reason);
      return out;
    } catch (err) {
      if (reason) throw new InfluxUnavailableError(reason, { cause: err });
      const unavailable = unavailableReason(err);
      if (unavailable !== undefined) throw new InfluxUnavailableError(unavailable, { cause: err });
      throw err;
    } finally {
      clearTimeout(timer);
      caller?.removeEventListener("abort", onGone);
    }
  };
  return {
    rows: run,
    async ping(query: ParameterizedQuery) {
      try {
        await run(query);
        return true;
      } catch {
        return false;
      }
    },
  };
}
