import type { ITwitterApiClientPlugin } from "twitter-api-v2";

const X_API_HOSTS = new Set(["api.x.com", "api.twitter.com"]);

/** Normalise an API root: no trailing slash and no trailing "/2" ("https://api.x.com/2/" → "https://api.x.com"). */
export function normalizeXApiRoot(apiRoot: string): string {
  const trimmed = apiRoot.trim().replace(/\/+$/, "").replace(/\/2$/, "");
  const parsed = new URL(trimmed);
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new Error(`X API root must be an http(s) URL, got ${parsed.protocol}`);
  }
  return trimmed;
}

/** Move an `https://api.x.com/...` URL (as twitter-api-v2 builds it) onto `apiRoot`; other hosts are left alone. */
export function rewriteXApiUrl(url: string, apiRoot: string): string {
  const parsed = new URL(/^https?:\/\//.test(url) ? url : `https://${url}`);
  if (!X_API_HOSTS.has(parsed.hostname)) return url;
  return apiRoot + parsed.pathname + parsed.search;
}

/**
 * twitter-api-v2 plugin: sends every request to `apiRoot`, gives it a socket-idle `timeoutMs` (the library has no
 * client-wide timeout) and hands the current call's AbortSignal to `https.request`.
 */
export function createXApiRootPlugin(
  apiRoot: string,
  options: { timeoutMs?: number; currentSignal?: () => AbortSignal | undefined } = {},
): ITwitterApiClientPlugin {
  const root = normalizeXApiRoot(apiRoot);
  return {
    onBeforeRequestConfig({ params }) {
      params.url = rewriteXApiUrl(params.url, root);
      if (options.timeoutMs !== undefined && params.timeout === undefined) params.timeout = options.timeoutMs;
    },
    onBeforeRequest({ requestOptions }) {
      // `requestOptions` is the very object twitter-api-v2 spreads into https.request().
      const signal = options.currentSignal?.();
      if (signal) requestOptions.signal = signal;
    },
    onBeforeStreamRequestConfig({ params }) {
      params.url = rewriteXApiUrl(params.url, root);
    },
  };
}
