// The endpoints the fake serves and how a request names its caller.
import type { FakeXEndpointKey } from "./types.js";

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
];

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
