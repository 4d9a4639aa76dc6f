// Runs Flux through the official client's QueryApi with a bounded time, and
// turns "InfluxDB is down, slow or unusable" into one error the API answers
// with 503, so callers never see a raw network error.
import {
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

export function createQueryRunner(client: InfluxDB, org: string, timeoutMs: number): QueryRunner {
  const api = client.getQueryApi(org);
  const bounded = async <T>(work: Promise<T>): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    // The client's own timeout ends the HTTP request; this bounds the whole
    // call (connect, headers, body) in case a stalled stream outlives it.
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new InfluxUnavailableError("InfluxDB query timed out")),
        timeoutMs + 250,
      );
    });
    try {
      return await Promise.race([work, deadline]);
    } catch (err) {
      const reason = unavailableReason(err);
      if (reason !== undefined) throw new InfluxUnavailableError(reason, { cause: err });
      throw err;
    } finally {
      clearTimeout(timer);
    }
  };
  return {
    rows: <T>(query: ParameterizedQuery) => {
      const work = api.collectRows<T>(query);
      // A rejection after the deadline won must not become an unhandled one.
      work.catch(() => undefined);
      return bounded(work);
    },
    async ping(query: ParameterizedQuery) {
      try {
        const work = api.collectRows(query);
        work.catch(() => undefined);
        await bounded(work);
        return true;
      } catch {
        return false;
      }
    },
  };
}
