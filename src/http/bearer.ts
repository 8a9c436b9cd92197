import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}

/** True when `given` is the (non-empty) `secret`; compared in constant time (hashes have equal length). */
export function sameSecret(given: string, secret: string): boolean {
  return timingSafeEqual(digest(given), digest(secret)) && given.length > 0;
}

/** True when the headers carry `Authorization: Bearer <token>`, compared with {@link sameSecret}. */
export function hasBearerToken(request: { readonly headers: IncomingHttpHeaders }, token: string): boolean {
  const header = request.headers.authorization ?? "";
  const match = /^Bearer\s+(.+)$/i.exec(header.trim());
  return sameSecret(match?.[1]?.trim() ?? "", token);
}
