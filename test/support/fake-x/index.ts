/**
 * Fake X (Twitter) v2 API: a plain `node:http` server on 127.0.0.1 (random port) that speaks enough of
 * the real v2 JSON to drive `twitter-api-v2` end to end, with a fault queue for failure-path tests.
 *
 * Pointing a real client at it: see {@link createTestTwitterClient} / {@link createXApiRootPlugin}.
 *
 * Search query language (GET /2/tweets/search/recent), deliberately small:
 * - whitespace-separated terms are ANDed; `"quoted phrase"` is one term; matching is a case-insensitive
 *   substring test on the tweet text (so `@handle` and `#tag` work as plain words);
 * - a leading `-` negates any term (`-spam`, `-"bad phrase"`, `-is:reply`);
 * - operators: `from:user`, `to:user` (reply to that user), `conversation_id:ID`,
 *   `is:reply` / `is:retweet` / `is:quote`; `lang:xx` is accepted and ignored;
 * - `OR` and parentheses are rejected with 400 (not supported), as is any unknown `is:` value;
 * - the 7-day window of the real endpoint is not modelled.
 *
 * Media: the v2 media upload (initialize JSON, append multipart, finalize, STATUS) with X's size limits per
 * category; images are ready at finalize, GIFs and videos process for a settable time (`setMediaProcessing`) or
 * fail (`failNextMediaProcessing`); media ids belong to the uploader and expire (`expireMedia`). POST /2/tweets
 * takes `media.media_ids` and, like X, ends the post's text with a t.co link. `mediaUploads` lists uploads. An
 * OAuth 2.0 token granted without `media.write` gets a bare 403 from the media endpoints, as on X.
 *
 * OAuth 2.0 user context: register the app with `addOAuth2Client`, let a user click "Authorize app" with
 * `authorize` / `approveAuthorizationLink`, then `POST /2/oauth2/token` (form-encoded only) exchanges the code
 * (PKCE checked, single use, 30 s) and refreshes with rotation; a live access token authenticates every route as
 * `Authorization: Bearer`, an expired one answers 401.
 */
export { createTestTwitterClient, createXApiRootPlugin, rewriteXApiUrl } from "./client.js";
export { FAKE_X_ACCESS_TOKEN_TTL_SECONDS, FAKE_X_AUTHORIZATION_CODE_TTL_SECONDS } from "./oauth2.js";
export { FAKE_X_MEDIA_LIMITS } from "./media.js";
export { X_INVALID_MEDIA_IDS_MESSAGE } from "./media-endpoints.js";
export { startFakeX } from "./server.js";
export {
  FAKE_X_DEFAULT_RATE_LIMITS,
  X_DUPLICATE_DETAIL,
  X_NOT_SUMMONED_DETAIL,
  X_REPLY_TO_DELETED_DETAIL,
  X_SUSPENDED_DETAIL,
  type FakeX,
  type FakeXAuthorizeInput,
  type FakeXEndpointKey,
  type FakeXFault,
  type FakeXFaultMatch,
  type FakeXMediaCategory,
  type FakeXMediaSettings,
  type FakeXMediaState,
  type FakeXMediaUpload,
  type FakeXMention,
  type FakeXOAuth2Client,
  type FakeXOAuth2EndpointKey,
  type FakeXOAuth2Options,
  type FakeXOptions,
  type FakeXRateLimitConfig,
  type FakeXReferencedTweet,
  type FakeXRequest,
  type FakeXRequestFilter,
  type FakeXTweet,
  type FakeXUser,
  type FakeXUserAccess,
  type FakeXUserEndpointKey,
} from "./types.js";
