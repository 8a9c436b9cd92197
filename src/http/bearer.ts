import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}

/** True when the headers carry `Authorization: Bearer <token>`; compared in constant time (hashes have equal length). */
export function hasBearerToken(request: { readonly headers: IncomingHttpHeaders }, token: string): boolean {
  const header = request.headers.authorization ?? "";
  const match = /^Bearer\s+(.+)$/i.exec(header.trim());
  const given = match?.[1]?.trim() ?? "";
  return timingSafeEqual(digest(given), digest(token)) && given.length > 0;
}
