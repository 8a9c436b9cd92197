import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  index,
  integer,
  pgTable,
  real,
  serial,
  smallint,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { jsonb } from "./json-column.js";

/** Small durable key/value facts of the running bot (pause flag, last boot, …). */
export const appState = pgTable("app_state", {
  key: text("key").primaryKey(),
  value: jsonb("value").notNull(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().default(sql`now()`),
});

/** Storage of @grammyjs/conversations state, so a conversation survives a restart. */
export const conversationSessions = pgTable("conversation_sessions", {
  key: text("key").primaryKey(),
  value: jsonb("value").notNull(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().default(sql`now()`),
});

/** Where an X account stands: in the pool, out of it after X refused it, or set aside by an admin. */
export type XAccountStatus = "active" | "failed" | "disabled";

/** The X accounts replies are published from (the first one comes from the X_* variables). */
export const xAccounts = pgTable(
  "x_accounts",
  {
    id: serial("id").primaryKey(),
    label: text("label").notNull(),
    xUserId: text("x_user_id"),
    username: text("username"),
    /** `active` (in the pool), `failed` (X refused it or could not be reached; see failure_reason), `disabled` (by an admin). */
    status: text("status").$type<XAccountStatus>().notNull().default("active"),
    /** `env`: its secrets come from the environment at each boot; `stored`: sealed in `credentials`. */
    origin: text("origin").$type<"env" | "stored">().notNull().default("env"),
    authKind: text("auth_kind").$type<"oauth1" | "oauth2">().notNull().default("oauth1"),
    /** The sealed credentials (secret box, AES-256-GCM) of a stored account; null for an env account. */
    credentials: text("credentials"),
    lastVerifiedAt: timestamp("last_verified_at", { withTimezone: true }),
    failureReason: text("failure_reason"),
    failedAt: timestamp("failed_at", { withTimezone: true }),
    /** The account's own limits; null = the global MAX_POSTS_PER_HOUR / MAX_POSTS_PER_DAY settings. */
    maxPostsPerHour: integer("max_posts_per_hour"),
    maxPostsPerDay: integer("max_posts_per_day"),
    /** The account sends nothing to X before this instant (429 with a reset time). */
    rateLimitedUntil: timestamp("rate_limited_until", { withTimezone: true }),
    /** The account's next POST waits until this instant (the random pause between two posts). */
    nextPostAt: timestamp("next_post_at", { withTimezone: true }),
    /**
     * Bumped by every claim for the account, under its row lock: a claim that waited for that lock sees the bump
     * and knows its snapshot's counts of recent posts are stale (replicas claim for one account one at a time).
     */
    pacingVersion: integer("pacing_version").notNull().default(0),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().default(sql`now()`),
  },
  (table) => [uniqueIndex("x_accounts_label_key").on(table.label)],
);

/**
 * OAuth 2.0 connects in progress (`/accounts connect`): one row per authorization link, so whichever process or
 * replica gets X's callback can finish it, and a restart does not lose it. Single use: `used_at` is set by the
 * callback that consumes it.
 */
export const xOAuthRequests = pgTable(
  "x_oauth_requests",
  {
    /** sha256 (hex) of the link's `state`: the state itself is never stored. */
    stateHash: text("state_hash").primaryKey(),
    /** The PKCE code verifier, sealed (secret box). */
    codeVerifier: text("code_verifier").notNull(),
    /** The label the account gets in the pool. */
    label: text("label").notNull(),
    /** Telegram user id of the admin who asked. */
    requestedBy: bigint("requested_by", { mode: "number" }),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    usedAt: timestamp("used_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().default(sql`now()`),
  },
  (table) => [index("x_oauth_requests_expires_idx").on(table.expiresAt)],
);

/** Watched target accounts, keyword searches and topic keywords, managed from Telegram. */
export const watchItems = pgTable(
  "watch_items",
  {
    id: serial("id").primaryKey(),
    kind: text("kind").$type<"target" | "search" | "topic">().notNull(),
    value: text("value").notNull(),
    createdBy: bigint("created_by", { mode: "number" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().default(sql`now()`),
  },
  (table) => [uniqueIndex("watch_items_kind_value_key").on(table.kind, sql`lower(${table.value})`)],
);

/** Users whose posts are never drafted (usernames stored lower-case, without @). */
export const optOuts = pgTable("opt_outs", {
  username: text("username").primaryKey(),
  createdBy: bigint("created_by", { mode: "number" }),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().default(sql`now()`),
});

/** Per-source `since_id` cursors (e.g. `mentions:1`, `target:jack`, `search:7`). */
export const discoveryCursors = pgTable("discovery_cursors", {
  sourceKey: text("source_key").primaryKey(),
  sinceId: text("since_id").notNull(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().default(sql`now()`),
});

/** Every post discovery has seen, once (the primary key is the dedupe). */
export const posts = pgTable(
  "posts",
  {
    tweetId: text("tweet_id").primaryKey(),
    authorId: text("author_id").notNull(),
    authorUsername: text("author_username"),
    text: text("text").notNull(),
    postedAt: timestamp("posted_at", { withTimezone: true }),
    source: text("source").$type<"mention" | "target" | "search">().notNull(),
    sourceDetail: text("source_detail").notNull(),
    accountId: integer("account_id")
      .notNull()
      .references(() => xAccounts.id),
    /** The account the author summoned (mentioned, replied to, quoted): under X's rule only it may answer. Null: any account may. */
    boundAccountId: integer("bound_account_id").references(() => xAccounts.id),
    /** Whether X lets the account answer it (summoned rule), and why not. */
    answerable: boolean("answerable").notNull(),
    /** `pending_draft` → `drafted`, or `skipped` with a reason. */
    state: text("state").$type<"pending_draft" | "drafted" | "skipped">().notNull(),
    skipReason: text("skip_reason"),
    /** Set once the gatekeeper decided (or failed open), so a post is never re-scored. */
    gateCheckedAt: timestamp("gate_checked_at", { withTimezone: true }),
    gateScore: real("gate_score"),
    gateReason: text("gate_reason"),
    draftAttempts: integer("draft_attempts").notNull().default(0),
    nextDraftAt: timestamp("next_draft_at", { withTimezone: true }),
    discoveredAt: timestamp("discovered_at", { withTimezone: true }).notNull().default(sql`now()`),
  },
  (table) => [index("posts_state_idx").on(table.state, table.discoveredAt)],
);

/** One reply per post: the draft, its approval and its publication (status moves in workflow/replies/, one file each). */
export const replies = pgTable(
  "replies",
  {
    id: serial("id").primaryKey(),
    postTweetId: text("post_tweet_id")
      .notNull()
      .references(() => posts.tweetId),
    /**
     * The account of the latest claim (set in the claim transaction), or the bound account before any;
     * null for a free reply no account has claimed yet.
     */
    accountId: integer("account_id").references(() => xAccounts.id),
    /** The only account that may publish it (its post summoned that account); null = free, any account claims it. */
    boundAccountId: integer("bound_account_id").references(() => xAccounts.id),
    /** Claim priority from the post's source: 0 mention (high), 1 target, 2 search (low). */
    priority: smallint("priority").notNull().default(1),
    status: text("status").$type<ReplyStatus>().notNull(),
    draft: text("draft").notNull(),
    weightedLength: integer("weighted_length").notNull(),
    tooLong: boolean("too_long").notNull().default(false),
    model: text("model"),
    /** Bumped on every change; the card is in sync when `cardVersion = version`. */
    version: integer("version").notNull().default(1),
    cardMessageId: integer("card_message_id"),
    /**
     * Card sends begun (counted before each sendMessage): more than one without a stored message id means a send
     * may have reached the chat before the process died, so an earlier copy of the card may be there.
     */
    cardSends: integer("card_sends").notNull().default(0),
    cardVersion: integer("card_version").notNull().default(0),
    /** The version whose card Telegram refused (card sync skips it until the reply changes again), and why. */
    cardFailedVersion: integer("card_failed_version"),
    cardFailedAt: timestamp("card_failed_at", { withTimezone: true }),
    cardFailureReason: text("card_failure_reason"),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    decidedBy: bigint("decided_by", { mode: "number" }),
    /** When an admin approved (or rejected) it: the claim order within a priority. */
    decidedAt: timestamp("decided_at", { withTimezone: true }),
    scheduledAt: timestamp("scheduled_at", { withTimezone: true }),
    leaseUntil: timestamp("lease_until", { withTimezone: true }),
    attemptId: uuid("attempt_id"),
    attemptCount: integer("attempt_count").notNull().default(0),
    /** Set when an attempt's outcome is unknown: X must be read before any new POST. */
    needsReconcile: boolean("needs_reconcile").notNull().default(false),
    replyTweetId: text("reply_tweet_id"),
    publishedAt: timestamp("published_at", { withTimezone: true }),
    failureReason: text("failure_reason"),
    /** The admin's attachment (a Telegram file), validated against X's limits when attached; null = text only. */
    mediaFileId: text("media_file_id"),
    mediaKind: text("media_kind").$type<ReplyMediaKind>(),
    mediaMimeType: text("media_mime_type"),
    /** Size as Telegram reported it (checked again on the downloaded bytes). */
    mediaBytes: integer("media_bytes"),
    mediaDurationSeconds: integer("media_duration_seconds"),
    /** The attachment as uploaded to X: its media id, the account that uploaded it (ids are per account) and its expiry. */
    mediaXId: text("media_x_id"),
    mediaXAccountId: integer("media_x_account_id").references(() => xAccounts.id),
    mediaXExpiresAt: timestamp("media_x_expires_at", { withTimezone: true }),
    /** What the draft adds to its post that the admin should check (an allowed new link or mention); shown on the card. */
    flags: text("flags").array().$type<ReplyFlag[]>().notNull().default(sql`'{}'::text[]`),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().default(sql`now()`),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().default(sql`now()`),
  },
  (table) => [
    uniqueIndex("replies_post_key").on(table.postTweetId),
    index("replies_claim_idx").on(table.status, table.scheduledAt, table.id),
    // The claim's exact ORDER BY (priority, then approval time, then id): FOR UPDATE SKIP LOCKED never sorts.
    index("replies_claim_order_idx").on(table.status, table.priority, table.decidedAt, table.id),
    index("replies_card_sync_idx").on(table.id).where(sql`${table.cardVersion} < ${table.version}`),
  ],
);

/** An attachment's kind, which sets X's limits: an image (JPEG, PNG, WEBP), a GIF, or a video (MP4, MOV). */
export type ReplyMediaKind = "image" | "gif" | "video";

/** A warning about a draft: it links to something (`new_link`) or mentions someone (`new_mention`) its post did not. */
export type ReplyFlag = "new_link" | "new_mention";

/** The statuses of a reply; allowed moves are declared in src/workflow/reply-states.ts and made in src/workflow/replies/. */
export type ReplyStatus =
  | "awaiting_approval"
  | "approved"
  | "publishing"
  | "published"
  | "failed"
  | "rejected"
  | "expired"
  | "cancelled";

/** Every POST attempt, recorded before X is called (the attempt id makes outcomes traceable). */
export const publishAttempts = pgTable(
  "publish_attempts",
  {
    id: uuid("id").primaryKey(),
    replyId: integer("reply_id")
      .notNull()
      .references(() => replies.id),
    accountId: integer("account_id").notNull(),
    startedAt: timestamp("started_at", { withTimezone: true }).notNull().default(sql`now()`),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
    outcome: text("outcome"),
    tweetId: text("tweet_id"),
    error: text("error"),
  },
  // The pacing counts read an account's last hour and day: a range of this index, whatever the history's size.
  (table) => [index("publish_attempts_account_started_idx").on(table.accountId, table.startedAt)],
);

/** What happened to posts and replies, one row per event: the source of /stats. */
export const workflowEvents = pgTable(
  "workflow_events",
  {
    id: serial("id").primaryKey(),
    kind: text("kind").notNull(),
    replyId: integer("reply_id"),
    postTweetId: text("post_tweet_id"),
    actor: bigint("actor", { mode: "number" }),
    at: timestamp("at", { withTimezone: true }).notNull().default(sql`now()`),
  },
  (table) => [index("workflow_events_at_idx").on(table.at, table.kind)],
);

/** Runtime settings changed from /settings (defaults come from the environment). */
export const settings = pgTable("settings", {
  key: text("key").primaryKey(),
  value: jsonb("value").notNull(),
  updatedBy: bigint("updated_by", { mode: "number" }),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().default(sql`now()`),
});

/** Who changed which setting, when, from what to what. */
export const settingsAudit = pgTable("settings_audit", {
  id: serial("id").primaryKey(),
  key: text("key").notNull(),
  oldValue: jsonb("old_value"),
  newValue: jsonb("new_value").notNull(),
  changedBy: bigint("changed_by", { mode: "number" }).notNull(),
  changedAt: timestamp("changed_at", { withTimezone: true }).notNull().default(sql`now()`),
});

/** Circuit breaker states (cockatiel's toJSON and since when it has been down), so an open breaker stays open across a restart. */
export const breakerStates = pgTable("breaker_states", {
  name: text("name").primaryKey(),
  state: jsonb("state").notNull(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().default(sql`now()`),
});

/** Publishes that failed after their retries (or while a breaker was open), retried on a schedule. */
export const deadLetters = pgTable(
  "dead_letters",
  {
    id: serial("id").primaryKey(),
    replyId: integer("reply_id")
      .notNull()
      .references(() => replies.id),
    accountId: integer("account_id").notNull(),
    error: text("error").notNull(),
    errorType: text("error_type").notNull(),
    retryable: boolean("retryable").notNull(),
    /** `pending → retrying → retried_successfully | exhausted` (or `discarded` by an admin). */
    status: text("status").$type<DeadLetterStatus>().notNull(),
    retryCount: integer("retry_count").notNull().default(0),
    nextRetryAt: timestamp("next_retry_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().default(sql`now()`),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().default(sql`now()`),
  },
  (table) => [
    index("dead_letters_due_idx").on(table.status, table.nextRetryAt, table.id),
    uniqueIndex("dead_letters_open_reply_key")
      .on(table.replyId)
      .where(sql`${table.status} in ('pending', 'retrying')`),
  ],
);

/** The states of a dead letter. */
export type DeadLetterStatus = "pending" | "retrying" | "retried_successfully" | "exhausted" | "discarded";

export * from "./schema-alerts.js";
export * from "./schema-batches.js";

/**
 * Telegram updates taken by webhook, one row per `update_id`, so a redelivered or concurrently delivered update is
 * handled once across replicas. Pruned after 24 h (Telegram keeps an update no longer); no index on `received_at`:
 * a day of one admin chat's updates is small enough to scan.
 */
export const telegramUpdates = pgTable("telegram_updates", {
  updateId: bigint("update_id", { mode: "number" }).primaryKey(),
  receivedAt: timestamp("received_at", { withTimezone: true }).notNull().default(sql`now()`),
});
