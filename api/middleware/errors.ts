// Global error handling: every answer is JSON, bad input is a 400 naming the
// parameter, InfluxDB trouble is a 503, and only a real bug is a 500 (logged).
import type { Hook } from "@hono/zod-openapi";
import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { Logger } from "../../shared/log.js";
import { ApiError, type ErrorBody } from "../errors.js";
import { InfluxUnavailableError } from "../flux/run.js";
import { RangeInputError } from "../time-range.js";

/** Seconds a client should wait before retrying when InfluxDB is unavailable. */
const UNAVAILABLE_RETRY_AFTER_S = 5;

export function errorHandler(log: Logger): ErrorHandler {
  return (err, c) => {
    if (err instanceof ApiError) {
      for (const [k, v] of Object.entries(err.headers)) c.header(k, v);
      return c.json(err.body, err.status);
    }
    if (err instanceof RangeInputError)
      return c.json<ErrorBody>({ error: "bad_request", message: err.message, parameter: err.parameter }, 400);
    if (err instanceof InfluxUnavailableError) {
      log.warn({ err: err.message, path: c.req.path }, "InfluxDB unavailable");
      c.header("Retry-After", String(UNAVAILABLE_RETRY_AFTER_S));
      return c.json<ErrorBody>({ error: "unavailable", message: `storage unavailable: ${err.message}` }, 503);
    }
    if (err instanceof HTTPException) {
      // Hono's own (e.g. a malformed request it refuses): keep its status, answer JSON.
      const status = err.status >= 500 ? 500 : err.status;
      return c.json<ErrorBody>(
        { error: status === 500 ? "internal" : "bad_request", message: err.message || "bad request" },
        status,
      );
    }
    log.error({ err, path: c.req.path, method: c.req.method }, "unhandled error");
    return c.json<ErrorBody>({ error: "internal", message: "internal error" }, 500);
  };
}

export const notFoundHandler: NotFoundHandler = (c) =>
  c.json<ErrorBody>({ error: "not_found", message: `no route ${c.req.method} ${c.req.path}` }, 404);

/** zod-openapi's validation hook: the first issue, with the parameter it concerns. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the hook is shared by routes of every input type
export const validationHook: Hook<any, any, any, any> = (result, c: Context) => {
  if (result.success) return;
  const issue = result.error.issues[0];
  const parameter = issue?.path.map(String).join(".") || result.target;
  let message = issue?.message ?? "invalid request";
  // Repeated query parameters arrive as arrays: say so rather than "expected string".
  if (issue?.code === "invalid_type" && issue.expected === "string")
    message = `${parameter} must be given once, as text`;
  return c.json<ErrorBody>({ error: "bad_request", message, parameter }, 400);
};
