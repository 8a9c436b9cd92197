/** An X account as the rest of the app sees it. */
export interface XUser {
  id: string;
  username: string;
  name: string;
}

/** An X post (tweet) reduced to the fields the app uses; independent of twitter-api-v2's types. */
export interface XPost {
  id: string;
  /** Full text (the long-post `note_tweet` text when X provides it). */
  text: string;
  authorId: string;
  authorUsername: string | undefined;
  createdAt: Date | undefined;
  conversationId: string | undefined;
  inReplyToUserId: string | undefined;
  /** Id of the post this one replies to (`referenced_tweets` type `replied_to`). */
  repliedToPostId: string | undefined;
  /** Id of the post this one quotes. */
  quotedPostId: string | undefined;
  isRetweet: boolean;
  /** Ids of @-mentioned accounts that exist (X omits the id of unknown handles). */
  mentionedUserIds: string[];
  /** Every @-mentioned handle, as X spells it. */
  mentionedUsernames: string[];
}

/** A post read by id, with the id of its newest version (an edit on X is a new post id; the old id keeps the old text). */
export interface XPostVersion {
  post: XPost;
  /** Last of `edit_history_tweet_ids`: the post's own id when it was never edited. */
  latestVersionId: string;
}

/** One read of a timeline: posts newest first, and the newest id to use as the next `sinceId`. */
export interface XPage {
  posts: XPost[];
  /** `meta.newest_id` of the first page; undefined when nothing new (keep the previous cursor). */
  newestId: string | undefined;
}

/** A rate-limit window as reported by X's `x-rate-limit-*` headers. */
export interface XRateLimit {
  limit: number;
  remaining: number;
  resetAt: Date;
}

/** Options shared by the timeline reads. */
export interface XTimelineOptions {
  /** Only posts newer than this id; when set, up to `maxPages` (default 5) pages are followed. */
  sinceId?: string;
  /** Page size (default 20; clamped to the endpoint's bounds). Without `sinceId` this is also the total cap. */
  maxResults?: number;
  /** Pages to follow: default 1 without `sinceId`, 5 with it. */
  maxPages?: number;
}

/** Options of {@link XAccountClient.userPosts}. */
export interface XUserPostsOptions extends XTimelineOptions {
  excludeReplies?: boolean;
  excludeRetweets?: boolean;
}

/** X's media categories of a post's attachment (they set X's size and duration limits). */
export type XMediaCategory = "tweet_image" | "tweet_gif" | "tweet_video";

/** A file to attach to a post: its bytes, MIME type (e.g. "image/jpeg", "video/mp4") and X category. */
export interface XMediaFile {
  bytes: Uint8Array;
  mimeType: string;
  category: XMediaCategory;
}

/** An uploaded, processed medium: its id (valid only for the account that uploaded it) and when X forgets it. */
export interface XUploadedMedia {
  mediaId: string;
  /** From X's `expires_after_secs`; undefined when X did not say. */
  expiresAt: Date | undefined;
}

/**
 * Runs one HTTP step of a multi-step call (a media upload's init, each chunk, finalize, each status read), so a
 * caller can put each step under its own timeout and retries rather than the whole upload under one.
 */
export type XStepRunner = <T>(step: (signal: AbortSignal | undefined) => Promise<T>) => Promise<T>;

/** Options of {@link XAccountClient.uploadMedia}. */
export interface XUploadOptions {
  signal?: AbortSignal;
  runStep?: XStepRunner;
}

/** The X API as one authenticated account (OAuth 1.0a or OAuth 2.0 user context) sees it; every failure is an `XApiError`. */
export interface XAccountClient {
  /** The authenticated account. */
  me(signal?: AbortSignal): Promise<XUser>;
  /** A user by handle (leading "@" allowed); undefined when unknown, suspended or not a valid handle. */
  userByUsername(username: string, signal?: AbortSignal): Promise<XUser | undefined>;
  /** Posts mentioning (or replying to) `userId`, newest first. */
  mentions(userId: string, opts: XTimelineOptions, signal?: AbortSignal): Promise<XPage>;
  /** Posts written by `userId`, newest first. */
  userPosts(userId: string, opts: XUserPostsOptions, signal?: AbortSignal): Promise<XPage>;
  /** Recent-search results (last 7 days on X), newest first. */
  searchRecent(query: string, opts: XTimelineOptions, signal?: AbortSignal): Promise<XPage>;
  /** Posts by id; missing/deleted/invalid ids are simply absent. */
  lookupPosts(ids: string[], signal?: AbortSignal): Promise<XPost[]>;
  /** One post by id with its edit history; undefined when it is deleted, unknown or no longer visible. */
  getPost(id: string, signal?: AbortSignal): Promise<XPostVersion | undefined>;
  /** Post `text` as a reply to `inReplyToPostId`, with media uploaded by this account attached when `mediaIds` is given. */
  postReply(
    text: string,
    inReplyToPostId: string,
    signal?: AbortSignal,
    mediaIds?: readonly string[],
  ): Promise<{ id: string; text: string }>;
  /**
   * Upload one file with the v2 media upload (initialize, append in chunks, finalize, then read its status until
   * X has processed it) and return its media id. Each HTTP step runs through `options.runStep` when given.
   */
  uploadMedia(file: XMediaFile, options?: XUploadOptions): Promise<XUploadedMedia>;
  /** Latest rate-limit headers seen, per endpoint key like "POST /2/tweets". */
  rateLimits(): ReadonlyMap<string, XRateLimit>;
}
