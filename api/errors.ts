// The API's error model: every error is JSON `{error, message, parameter?}`
// (an ambiguous device also lists the `clients` holding it).
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";

export interface ErrorBody {
  error: string;
  message: string;
  parameter?: string;
  /** 409 for an admin: the clients that hold the device id asked for. */
  clients?: string[];
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

/**
 * An admin named a device id that several clients hold without saying whose:
 * answering for one of them, or for all mixed, would be wrong, so ask.
 */
export const ambiguousDevice = (id: string, clients: readonly string[]) =>
  new ApiError(409, {
    error: "ambiguous_device",
    message: `device ${id} exists under several clients (${clients.join(", ")}): name one with the client parameter, e.g. ?client=${clients[0]}`,
    parameter: "client",
    clients: [...clients],
  });
