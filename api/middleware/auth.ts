// API key authentication: `x-api-key: <key>` (the course's header) or
// `Authorization: Bearer <key>`. Sets the principal and the data scope.
import type { MiddlewareHandler } from "hono";
import type { KeyStore } from "../auth/keys.js";
import type { ApiContext } from "../context.js";
import { ApiError } from "../errors.js";

const unauthorized = () =>
  new ApiError(
    401,
    {
      error: "unauthorized",
      message: "missing or unknown API key: send it as x-api-key: <key> or Authorization: Bearer <key>",
    },
    { "WWW-Authenticate": 'Bearer realm="iot-api"' },
  );

export function presentedKey(headers: { get(name: string): string | null | undefined }): string | undefined {
  const direct = headers.get("x-api-key");
  if (direct) return direct.trim();
  const m = /^Bearer\s+(\S+)\s*$/i.exec(headers.get("authorization") ?? "");
  return m?.[1];
}

export function authenticate(keys: KeyStore): MiddlewareHandler<ApiContext> {
  return async (c, next) => {
    const key = presentedKey(c.req.raw.headers);
    const principal = key === undefined ? undefined : keys.lookup(key);
    if (!principal) throw unauthorized();
    c.set("principal", principal);
    c.set("scope", { client: principal.kind === "client" ? principal.client : null });
    await next();
  };
}
