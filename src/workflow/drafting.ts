import { and, asc, count, eq, isNull, lte, or, sql } from "drizzle-orm";
import type { PgUpdateSetSource } from "drizzle-orm/pg-core";
import type { DraftOutcome, Drafter, PostForDraft } from "../ai/types.js";
import type { Database } from "../db/database.js";
import { posts } from "../db/schema.js";
import { createDraftReply } from "./replies/create-reply.js";
import type { Logger } from "../logger.js";
import { endAiOutage, startAiOutage } from "./ai-outage.js";
import { capReached, type DraftCaps } from "./draft-caps.js";
import { classifyDraftFailure, type DraftFailure } from "./draft-failure.js";
import type { NoticeSink } from "./notices.js";
import type { PauseSwitch } from "./pause.js";
import type { SettingsStore } from "./settings.js";
import type { SkipReason } from "./skip-reasons.js";
import { recordEvent } from "./stats.js";
import type { Watchlist } from "./watchlist.js";

/** A discovered post as stored. */
export type Post = typeof posts.$inferSelect;

/** What drafting needs; `drafter` is undefined while no AI provider is configured. */
export interface DraftingDeps {
  readonly db: Database;
  readonly drafter: Drafter | undefined;
  readonly settings: SettingsStore;
  readonly watchlist: Watchlist;
  readonly pause: PauseSwitch;
  readonly logger: Logger;
  readonly draftTtlHours: number;
  /** Failed attempts (not outages) after which a post is skipped; default {@link DEFAULT_DRAFT_MAX_ATTEMPTS}. */
  readonly maxAttempts?: number;
  /** Spend caps checked before any AI call for a post; default {@link DEFAULT_DRAFT_CAPS}. */
  readonly caps?: DraftCaps;
  readonly now?: () => Date;
  /** Told about a post given up (tweet_processing_failed) and an AI outage's start and end. */
  readonly notify?: NoticeSink;
}

/** How many posts one drafting pass handles (each is at least one AI call). */
const BATCH_SIZE = 10;
const RETRY_BASE_MS = 30_000;
const RETRY_MAX_MS = 30 * 60_000;

/** `DRAFT_MAX_ATTEMPTS` by default. */
export const DEFAULT_DRAFT_MAX_ATTEMPTS = 3;
/** `MAX_DRAFTS_PER_AUTHOR_PER_DAY` and `MAX_DRAFTS_PER_DAY` by default. */
export const DEFAULT_DRAFT_CAPS: DraftCaps = { perAuthorPerDay: 3, perDay: 200 };

/** The view of a stored post the AI gets. */
export function postForDraft(post: Post): PostForDraft {
  return { text: post.text, authorUsername: post.authorUsername ?? undefined, source: post.source };
}

/** Delay before the n-th retry of a failed draft: doubling, capped at 30 minutes. */
export function draftRetryDelayMs(attempts: number): number {
  return Math.min(RETRY_BASE_MS * 2 ** Math.max(0, attempts - 1), RETRY_MAX_MS);
}

/** Skips a waiting post with `reason` and records the event with it; false when the post no longer waited. */
async function skipPost(db: Database, tweetId: string, reason: SkipReason, set: PgUpdateSetSource<typeof posts> = {}): Promise<boolean> {
  return db.transaction(async (tx) => {
    const skipped = await tx
      .update(posts)
      .set({ ...set, state: "skipped", skipReason: reason })
      .where(and(eq(posts.tweetId, tweetId), eq(posts.state, "pending_draft")))
      .returning({ tweetId: posts.tweetId });
    if (skipped.length === 0) return false;
    await recordEvent(tx, { kind: "skipped", postTweetId: tweetId });
    return true;
  });
}

async function waitingPosts(db: Database): Promise<number> {
  const [row] = await db.select({ n: count() }).from(posts).where(eq(posts.state, "pending_draft"));
  return row?.n ?? 0;
}

/** A draft still over X's limit after the shorten requests is a failed attempt, like an empty one. */
function tooLongFailure(outcome: DraftOutcome): DraftFailure {
  return {
    kind: "post",
    skipReason: "draft_too_long",
    reason: `draft still ${outcome.weightedLength} weighted characters after ${outcome.shortenAttempts} shorten requests`,
  };
}

/**
 * Drafts replies for posts waiting for one: spend caps first (no AI call over a cap), then the optional
 * gatekeeper (decided once, fail-open), then the draft. A failed draft counts against the post: it is retried
 * with a backoff and skipped with the reason after `maxAttempts`. An AI outage counts against nobody: the pass
 * stops, the posts wait, and one notice marks its start (with the number waiting) and one its end. The reply row,
 * its event and the post's new state are written in one transaction; the unique post id on replies makes a
 * second draft of one post impossible.
 */
export async function runDrafting(deps: DraftingDeps): Promise<number[]> {
  const { db, drafter, logger } = deps;
  const now = deps.now ?? (() => new Date());
  const maxAttempts = deps.maxAttempts ?? DEFAULT_DRAFT_MAX_ATTEMPTS;
  const caps = deps.caps ?? DEFAULT_DRAFT_CAPS;
  if (!drafter || (await deps.pause.isPaused())) return [];
  const due = await db
    .select()
    .from(posts)
    .where(and(eq(posts.state, "pending_draft"), or(isNull(posts.nextDraftAt), lte(posts.nextDraftAt, now()))))
    // Longest waiting first, counted from when each became due: a post that met an outage goes to the back.
    .orderBy(asc(sql`coalesce(${posts.nextDraftAt}, ${posts.discoveredAt})`), asc(posts.discoveredAt))
    .limit(BATCH_SIZE);
  const created: number[] = [];
  let answered = false;
  let outageSince: Date | undefined;
  const reportRecovery = async () => {
    if (outageSince === undefined) return;
    deps.notify?.({ kind: "ai_recovered", since: outageSince, drafted: created.length, waiting: await waitingPosts(db) });
    outageSince = undefined;
  };

  for (const post of due) {
    // Every line about this post carries its id as the trace (see /trace).
    const log = logger.child({ trace: post.tweetId });
    // An author may opt out while their post waits (e.g. for the AI to come back): never draft it then.
    if (post.authorUsername && (await deps.watchlist.isOptedOut(post.authorUsername))) {
      if (await skipPost(db, post.tweetId, "opted_out")) log.info({ tweetId: post.tweetId }, "post skipped: the author opted out");
      continue;
    }
    const cap = await capReached(db, post.authorId, caps);
    if (cap) {
      if (await skipPost(db, post.tweetId, cap)) log.info({ tweetId: post.tweetId, author: post.authorId, cap }, "post skipped: drafting cap reached");
      continue;
    }
    const settings = await deps.settings.current();
    let failure: DraftFailure | undefined;
    try {
      const passed =
        !settings.gatekeeperEnabled || post.gateCheckedAt !== null || (await gatekeep(deps, drafter, post, settings.gatekeeperMinScore));
      if (passed) {
        const outcome = await drafter.draft(postForDraft(post), settings.persona);
        if (outcome.tooLong) failure = tooLongFailure(outcome);
        else {
          const replyId = await storeDraft(deps, post, outcome, now());
          if (replyId !== undefined) {
            created.push(replyId);
            log.info({ replyId, model: outcome.model }, "reply drafted");
          }
        }
      } else {
        log.info({ tweetId: post.tweetId }, "post skipped by the gatekeeper");
      }
    } catch (error) {
      failure = classifyDraftFailure(error);
    }
    if (failure?.kind === "outage" && answered) {
      // The AI answered other posts in this pass: this post alone makes it fail, so it is this post's failure.
      failure = { kind: "post", skipReason: "draft_error", reason: `${failure.reason} (the AI answered other posts meanwhile)` };
    }
    if (failure?.kind === "outage") {
      // The other posts would fail alike: stop here and probe again on the next pass.
      await reportRecovery();
      if (await startAiOutage(db, now())) {
        deps.notify?.({ kind: "ai_outage", waiting: await waitingPosts(db), reason: failure.reason });
      }
      log.warn({ tweetId: post.tweetId, reason: failure.reason }, "AI unavailable; drafting waits for it");
      await db.update(posts).set({ nextDraftAt: now() }).where(eq(posts.tweetId, post.tweetId));
      break;
    }
    answered = true;
    // The AI answered (even an unusable answer): any outage is over.
    outageSince = (await endAiOutage(db)) ?? outageSince;
    if (failure) await recordFailure({ ...deps, logger: log }, post, failure, maxAttempts, now());
  }
  await reportRecovery();
  return created;
}

/** Claims the post and inserts its reply with its `drafted` event, in one transaction; undefined when it no longer waited. */
async function storeDraft(deps: DraftingDeps, post: Post, outcome: DraftOutcome, now: Date): Promise<number | undefined> {
  return deps.db.transaction(async (tx) => {
    // Claim the post first: if it was skipped meanwhile (opt-out) or drafted by another run, stop.
    const claimed = await tx
      .update(posts)
      .set({ state: "drafted" })
      .where(and(eq(posts.tweetId, post.tweetId), eq(posts.state, "pending_draft")))
      .returning({ tweetId: posts.tweetId });
    if (claimed.length === 0) return undefined;
    const replyId = await createDraftReply(tx, {
      postTweetId: post.tweetId,
      source: post.source,
      boundAccountId: post.boundAccountId,
      draft: outcome.text,
      weightedLength: outcome.weightedLength,
      tooLong: outcome.tooLong,
      model: outcome.model,
      expiresAt: new Date(now.getTime() + deps.draftTtlHours * 3_600_000),
    });
    // In the same transaction: the spend caps count these events.
    if (replyId !== undefined) await recordEvent(tx, { kind: "drafted", replyId, postTweetId: post.tweetId });
    return replyId;
  });
}

/** Counts a failed attempt: retried with a backoff, or skipped with the reason once the attempts are used up. */
async function recordFailure(deps: DraftingDeps, post: Post, failure: Extract<DraftFailure, { kind: "post" }>, maxAttempts: number, now: Date): Promise<void> {
  const attempts = post.draftAttempts + 1;
  if (attempts >= maxAttempts) {
    if (await skipPost(deps.db, post.tweetId, failure.skipReason, { draftAttempts: attempts, nextDraftAt: null })) {
      deps.logger.warn({ tweetId: post.tweetId, attempts, reason: failure.reason }, "drafting gave up; post skipped");
      deps.notify?.({ kind: "draft_failed", tweetId: post.tweetId, reason: failure.reason, attempts, skipReason: failure.skipReason });
    }
    return;
  }
  const retryAt = new Date(now.getTime() + draftRetryDelayMs(attempts));
  await deps.db
    .update(posts)
    .set({ draftAttempts: attempts, nextDraftAt: retryAt })
    .where(and(eq(posts.tweetId, post.tweetId), eq(posts.state, "pending_draft")));
  deps.logger.warn({ tweetId: post.tweetId, attempts, retryAt, reason: failure.reason }, "drafting failed; will retry");
}

/** Runs the gatekeeper once for a post and stores the decision; fails open. Returns whether it passed. */
async function gatekeep(deps: DraftingDeps, drafter: Drafter, post: Post, minScore: number): Promise<boolean> {
  const topics = (await deps.watchlist.list("topic")).map((item) => item.value);
  let score: number | null = null;
  let reason: string;
  try {
    const decision = await drafter.gate(postForDraft(post), topics);
    score = decision.score;
    reason = decision.reason;
  } catch (error) {
    // Fail-open: an unavailable gatekeeper must not stop the workflow; the admin still approves.
    reason = `gatekeeper unavailable (${error instanceof Error ? error.message : String(error)}); passed`;
  }
  const passed = score === null || score >= minScore;
  const decision = { gateCheckedAt: sql`now()`, gateScore: score, gateReason: reason.slice(0, 500) };
  if (passed) await deps.db.update(posts).set(decision).where(eq(posts.tweetId, post.tweetId));
  else await skipPost(deps.db, post.tweetId, "gatekeeper", decision);
  return passed;
}
