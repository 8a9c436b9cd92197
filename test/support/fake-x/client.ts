import http from "node:http";
import { TwitterApi } from "twitter-api-v2";
import type { ITwitterApiClientPlugin } from "twitter-api-v2";
import type { FakeX } from "./types.js";

const X_API_HOSTS = new Set(["api.x.com", "api.twitter.com"]);

/** Rewrite an `https://api.x.com/...` URL (as built by twitter-api-v2) onto `apiRoot` (no trailing `/2`). */
export function rewriteXApiUrl(url: string, apiRoot: string): string {
  const parsed = new URL(/^https?:\/\//.test(url) ? url : `https://${url}`);
  if (!X_API_HOSTS.has(parsed.hostname)) return url;
  return apiRoot.replace(/\/+$/, "") + parsed.pathname + parsed.search;
}

/**
 * twitter-api-v2 plugin sending every api.x.com request to `apiRoot` (and optionally giving each request a
 * socket-idle timeout, which twitter-api-v2 has no client-wide setting for).
 */
export function createXApiRootPlugin(apiRoot: string, options: { timeoutMs?: number } = {}): ITwitterApiClientPlugin {
  return {
    onBeforeRequestConfig({ params }) {
      params.url = rewriteXApiUrl(params.url, apiRoot);
      if (options.timeoutMs !== undefined && params.timeout === undefined) params.timeout = options.timeoutMs;
    },
    onBeforeStreamRequestConfig({ params }) {
      params.url = rewriteXApiUrl(params.url, apiRoot);
    },
  };
}

/** A real `TwitterApi` (OAuth 1.0a user context for `accessToken`) whose v1/v2 calls all go to `fake`. */
export function createTestTwitterClient(
  fake: Pick<FakeX, "baseUrl">,
  accessToken: string,
  options: { timeoutMs?: number; appKey?: string; appSecret?: string; accessSecret?: string } = {},
): TwitterApi {
  return new TwitterApi(
    {
      appKey: options.appKey ?? "fake-app-key",
      appSecret: options.appSecret ?? "fake-app-secret",
      accessToken,
      accessSecret: options.accessSecret ?? "fake-access-secret",
    },
    {
      // twitter-api-v2 always calls https.request(); an http.Agent makes it speak plain HTTP.
      httpAgent: new http.Agent({ keepAlive: false }),
      plugins: [createXApiRootPlugin(fake.baseUrl, { timeoutMs: options.timeoutMs })],
    },
  );
}
