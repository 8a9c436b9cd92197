/**
 * Who may see the dashboard: a request with `Authorization: Bearer <DASHBOARD_TOKEN>`, or one carrying the session
 * cookie the login form set. The cookie holds an expiry and an HMAC of it keyed with the token, never the token: it
 * proves the token was typed, works on every replica without stored sessions, and dies when the token is changed.
 */
import { createHmac } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { hasBearerToken, sameSecret } from "../bearer.js";

/** Name of the session cookie. */
const SESSION_COOKIE = "rgb_dashboard";

/** How long a login lasts. */
export const SESSION_TTL_MS = 12 * 3_600_000;

/** The path the cookie is sent to: the dashboard's own routes only. */
const COOKIE_PATH = "/dashboard";

/** What the session checks read of a request. */
export interface SessionRequest {
  readonly headers: IncomingHttpHeaders;
  /** `http` or `https` as the server saw the connection. */
  readonly protocol: string;
}

function signature(token: string, expiresAt: number): string {
  return createHmac("sha256", token).update(`dashboard-session:${expiresAt}`).digest("base64url");
}

/** The cookie value of a session that ends at `expiresAt` (milliseconds since the epoch). */
function sessionValue(token: string, expiresAt: number): string {
  return `${expiresAt}.${signature(token, expiresAt)}`;
}

/** True when `value` is a session signed with `token` that has not ended at `now`. */
function isValidSession(value: string, token: string, now: number): boolean {
  const match = /^(\d{1,15})\.([\w-]{43})$/.exec(value);
  if (!match) return false;
  const expiresAt = Number(match[1]);
  return sameSecret(match[2] ?? "", signature(token, expiresAt)) && expiresAt > now;
}

/** The value of cookie `name` in a `Cookie` header, if present. */
function cookieValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  for (const pair of (headers.cookie ?? "").split(";")) {
    const [key, ...rest] = pair.split("=");
    if (key?.trim() === name) return rest.join("=").trim();
  }
  return undefined;
}

/**
 * Whether the browser reached us over HTTPS: the connection itself, or the first proxy's `X-Forwarded-Proto`. Only
 * the cookie's `Secure` flag follows it, so a forged header can at worst keep the cookie off a plain-HTTP link.
 */
function isHttps(request: SessionRequest): boolean {
  const forwarded = request.headers["x-forwarded-proto"];
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(",")[0]?.trim().toLowerCase();
  return request.protocol === "https" || first === "https";
}

/** The `Set-Cookie` header of a new session: HttpOnly, SameSite=Strict, Secure over HTTPS. */
export function sessionCookie(request: SessionRequest, token: string, now: number): string {
  const value = sessionValue(token, now + SESSION_TTL_MS);
  const secure = isHttps(request) ? "; Secure" : "";
  return `${SESSION_COOKIE}=${value}; Path=${COOKIE_PATH}; Max-Age=${SESSION_TTL_MS / 1000}; HttpOnly; SameSite=Strict${secure}`;
}

/** The `Set-Cookie` header that ends the session. */
export function clearedSessionCookie(request: SessionRequest): string {
  const secure = isHttps(request) ? "; Secure" : "";
  return `${SESSION_COOKIE}=; Path=${COOKIE_PATH}; Max-Age=0; HttpOnly; SameSite=Strict${secure}`;
}

/** True when the request carries the bearer token or a live session cookie. */
export function isSignedIn(request: SessionRequest, token: string, now: number): boolean {
  if (hasBearerToken(request, token)) return true;
  const cookie = cookieValue(request.headers, SESSION_COOKIE);
  return cookie !== undefined && isValidSession(cookie, token, now);
}
