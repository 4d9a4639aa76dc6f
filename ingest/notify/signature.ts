// Webhook signatures: HMAC-SHA256 over `${timestamp}.${body}`, sent as
// `x-iot-signature: t=<unix seconds>,v1=<hex>`. Signing the timestamp with the
// body lets a receiver refuse replays (an old t no longer passes the
// tolerance) without being able to strip or change t.
import { createHmac, timingSafeEqual } from "node:crypto";

export const SIGNATURE_HEADER = "x-iot-signature";
/** Default accepted clock difference between sender and receiver, in seconds. */
export const DEFAULT_TOLERANCE_S = 300;

export function computeSignature(secret: string, timestampS: number, body: string | Buffer): string {
  return createHmac("sha256", secret).update(`${timestampS}.`).update(body).digest("hex");
}

/** The header value for `body` signed at `timestampS` (unix seconds). */
export function signatureHeader(secret: string, body: string, timestampS: number): string {
  return `t=${timestampS},v1=${computeSignature(secret, timestampS, body)}`;
}

export interface VerifyOptions {
  /** The raw request body, exactly as received (before any JSON parsing). */
  body: string | Buffer;
  /** The `x-iot-signature` header value. */
  header: string | undefined | null;
  /** One secret, or several while rotating. */
  secret: string | readonly string[];
  /** Accepted age (and clock skew) of the timestamp, seconds; default 300. */
  toleranceS?: number;
  /** Current unix time in seconds (tests). */
  nowS?: number;
}

export type VerifyResult = { ok: true; timestampS: number } | { ok: false; reason: string };

/** Checks a webhook's signature and timestamp; constant-time comparison of the HMACs. */
export function verifyWebhookSignature(opts: VerifyOptions): VerifyResult {
  if (!opts.header) return { ok: false, reason: "missing signature header" };
  let timestampS: number | undefined;
  const candidates: string[] = [];
  for (const part of opts.header.split(",")) {
    const [k, v] = part.trim().split("=", 2);
    if (k === "t" && v !== undefined && /^\d{1,12}$/.test(v)) timestampS = Number(v);
    else if (k === "v1" && v !== undefined && /^[0-9a-f]{64}$/.test(v)) candidates.push(v);
  }
  if (timestampS === undefined) return { ok: false, reason: "no timestamp in signature header" };
  if (candidates.length === 0) return { ok: false, reason: "no v1 signature in signature header" };
  const nowS = opts.nowS ?? Math.floor(Date.now() / 1000);
  const tolerance = opts.toleranceS ?? DEFAULT_TOLERANCE_S;
  if (Math.abs(nowS - timestampS) > tolerance) return { ok: false, reason: "timestamp outside tolerance" };
  const secrets = typeof opts.secret === "string" ? [opts.secret] : opts.secret;
  for (const secret of secrets) {
    const expected = Buffer.from(computeSignature(secret, timestampS, opts.body), "hex");
    for (const c of candidates) {
      if (timingSafeEqual(expected, Buffer.from(c, "hex"))) return { ok: true, timestampS };
    }
  }
  return { ok: false, reason: "signature mismatch" };
}
