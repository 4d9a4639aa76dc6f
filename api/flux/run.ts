// Runs Flux through the official client's QueryApi with a bounded time, and
// turns "InfluxDB is down, slow or unusable" into one error the API answers
// with 503, so callers never see a raw network error.
import { AsyncLocalStorage } from "node:async_hooks";
import {
  type Cancellable,
  HttpError,
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

/**
 * Every query is bounded by `timeoutMs` and by the caller's request signal.
 * Either one cancels the HTTP request to InfluxDB, which ends the query inside
 * influxd too: an abandoned query must not keep running and starve the next
 * caller (a timed-out query used to go on in influxd for 13-27 s).
 */
export function createQueryRunner(client: InfluxDB, org: string, timeoutMs: number): QueryRunner {
  const api = client.getQueryApi(org);
  const run = <T>(query: ParameterizedQuery): Promise<T[]> =>
    new Promise<T[]>((resolve, reject) => {
      const out: T[] = [];
      const signal = requestSignal.getStore();
      let cancellable: Cancellable | undefined;
      let settled = false;
      const settle = (err?: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        if (err === undefined) return resolve(out);
        const reason = unavailableReason(err);
        reject(
          reason !== undefined
            ? new InfluxUnavailableError(reason, { cause: err })
            : err instanceof Error
              ? err
              : new Error("InfluxDB query failed", { cause: err }),
        );
      };
      const cancel = (reason: string) => {
        cancellable?.cancel();
        settle(new InfluxUnavailableError(reason));
      };
      const timer = setTimeout(() => cancel("InfluxDB query timed out"), timeoutMs);
      const onAbort = () => cancel("request abandoned by its client");
      if (signal?.aborted) return cancel("request abandoned by its client");
      signal?.addEventListener("abort", onAbort, { once: true });
      api.queryRows(query, {
        useCancellable: (c) => {
          cancellable = c;
        },
        next: (row, meta) => {
          out.push(meta.toObject(row) as T);
        },
        error: (err) => settle(err),
        complete: () => settle(),
      });
    });
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
