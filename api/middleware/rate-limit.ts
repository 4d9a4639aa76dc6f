// Per-key rate limit, after authentication: each client (or admin) has its
// own bucket, so one noisy key never slows another.
import type { MiddlewareHandler } from "hono";
import type { ApiContext } from "../context.js";
import { ApiError } from "../errors.js";
import type { RateLimiter } from "../rate-limit.js";

export function rateLimit(limiter: RateLimiter, now: () => number): MiddlewareHandler<ApiContext> {
  return async (c, next) => {
    const p = c.get("principal");
    const id = p.kind === "client" ? `client:${p.client}` : `admin:${p.name}`;
    const r = limiter.take(id, now());
    c.header("RateLimit-Limit", String(limiter.perMinute));
    c.header("RateLimit-Remaining", String(r.remaining));
    if (!r.allowed)
      throw new ApiError(
        429,
        {
          error: "rate_limited",
          message: `rate limit of ${limiter.perMinute} requests per minute exceeded; retry in ${r.retryAfterS} s`,
        },
        { "Retry-After": String(r.retryAfterS) },
      );
    await next();
  };
}
