// The API's error model: every error is JSON `{error, message, parameter?}`.
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";

export interface ErrorBody {
  error: string;
  message: string;
  parameter?: string;
}

export class ApiError extends HTTPException {
  constructor(
    status: ContentfulStatusCode,
    readonly body: ErrorBody,
    readonly headers: Record<string, string> = {},
  ) {
    super(status, { message: body.message });
  }
}

export const badRequest = (parameter: string, message: string) =>
  new ApiError(400, { error: "bad_request", message, parameter });

/** The one answer for a device that does not exist or is not the caller's: identical in both cases. */
export const deviceNotFound = () => new ApiError(404, { error: "not_found", message: "device not found" });
