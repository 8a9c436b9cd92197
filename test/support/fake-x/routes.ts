// The endpoints the fake serves and how a request names its caller.
import type { FakeXEndpointKey, FakeXOAuth2EndpointKey, FakeXRequest, FakeXRequestFilter } from "./types.js";

/** One endpoint: its key, method and path pattern (group 1 is the path parameter, if any). */
export interface Route {
  key: FakeXEndpointKey;
  method: string;
  re: RegExp;
}

/** Every endpoint, most specific first. */
export const ROUTES: readonly Route[] = [
  { key: "GET /2/users/me", method: "GET", re: /^\/2\/users\/me$/ },
  { key: "GET /2/users/by/username/:username", method: "GET", re: /^\/2\/users\/by\/username\/([^/]+)$/ },
  { key: "GET /2/users/:id/mentions", method: "GET", re: /^\/2\/users\/([^/]+)\/mentions$/ },
  { key: "GET /2/users/:id/tweets", method: "GET", re: /^\/2\/users\/([^/]+)\/tweets$/ },
  { key: "GET /2/users/:id", method: "GET", re: /^\/2\/users\/([^/]+)$/ },
  { key: "GET /2/tweets/search/recent", method: "GET", re: /^\/2\/tweets\/search\/recent$/ },
  { key: "GET /2/tweets", method: "GET", re: /^\/2\/tweets$/ },
  { key: "POST /2/tweets", method: "POST", re: /^\/2\/tweets$/ },
  { key: "GET /2/tweets/:id", method: "GET", re: /^\/2\/tweets\/([^/]+)$/ },
  { key: "DELETE /2/tweets/:id", method: "DELETE", re: /^\/2\/tweets\/([^/]+)$/ },
  { key: "POST /2/media/upload/initialize", method: "POST", re: /^\/2\/media\/upload\/initialize$/ },
  { key: "POST /2/media/upload/:id/append", method: "POST", re: /^\/2\/media\/upload\/([^/]+)\/append$/ },
  { key: "POST /2/media/upload/:id/finalize", method: "POST", re: /^\/2\/media\/upload\/([^/]+)\/finalize$/ },
  { key: "GET /2/media/upload", method: "GET", re: /^\/2\/media\/upload$/ },
  { key: "POST /2/oauth2/token", method: "POST", re: /^\/2\/oauth2\/token$/ },
  { key: "POST /2/oauth2/revoke", method: "POST", re: /^\/2\/oauth2\/revoke$/ },
];

/** Whether `key` is an OAuth 2.0 endpoint (the app authenticates there, not a user). */
export function isOAuth2Endpoint(key: FakeXEndpointKey): key is FakeXOAuth2EndpointKey {
  return key === "POST /2/oauth2/token" || key === "POST /2/oauth2/revoke";
}

/** The access token of an `Authorization` header (OAuth 1.0a `oauth_token` or a Bearer token), or null. */
export function parseOAuthToken(header: string | undefined): string | null {
  if (!header) return null;
  const bearer = /^Bearer\s+(.+)$/i.exec(header);
  if (bearer?.[1]) return bearer[1].trim();
  if (!/^OAuth\s/i.test(header)) return null;
  const m = /(?:^OAuth\s+|,\s*)oauth_token="([^"]*)"/i.exec(header);
  if (!m?.[1]) return null;
  try {
    return decodeURIComponent(m[1]);
  } catch {
    return m[1];
  }
}

/** Whether a recorded request matches a {@link FakeXRequestFilter}. */
export function matchesRequestFilter(r: Readonly<FakeXRequest>, filter: FakeXRequestFilter): boolean {
  if (typeof filter === "function") return filter(r);
  return (
    (filter.method === undefined || r.method === filter.method.toUpperCase()) &&
    (filter.path === undefined || (typeof filter.path === "string" ? r.path === filter.path : filter.path.test(r.path))) &&
    (filter.endpoint === undefined || r.endpoint === filter.endpoint) &&
    (filter.callerUserId === undefined || r.callerUserId === filter.callerUserId)
  );
}
