// The API's error model: every error is JSON `{error, message, parameter?}`
// (an ambiguous device also lists the `clients`, and `sites`, holding it).
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";

export interface ErrorBody {
  error: string;
  message: string;
  parameter?: string;
  /** 409 for an admin: the clients that hold the device id asked for. */
  clients?: string[];
  /** 409 when several sites hold it: their names ("" = points without a site tag). */
  sites?: string[];
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
 * A device id that several clients (an admin's scope) or several sites hold,
 * named without saying which: answering for one of them, or for all mixed,
 * would be wrong, so ask. `clients` is always there; `sites` when they differ.
 */
export const ambiguousDevice = (id: string, holders: readonly { client: string; site: string }[]) => {
  const clients = [...new Set(holders.map((h) => h.client))].sort();
  const sites = [...new Set(holders.map((h) => h.site))].sort();
  const byClient = clients.length > 1;
  const named = (list: string[]) => list.map((x) => (x === "" ? "(no site)" : x)).join(", ");
  const message = byClient
    ? `device ${id} exists under several clients (${clients.join(", ")}): name one with the client parameter, e.g. ?client=${clients[0]}`
    : `device ${id} exists at several sites (${named(sites)}): name one with the site parameter, e.g. ?site=${sites.find((s) => s !== "") ?? ""} (site= for points without a site tag)`;
  return new ApiError(409, {
    error: "ambiguous_device",
    message:
      byClient && sites.length > 1
        ? `${message}; it also exists at several sites (${named(sites)}): name one with site`
        : message,
    parameter: byClient ? "client" : "site",
    clients,
    ...(sites.length > 1 ? { sites } : {}),
  });
};
