import { and, asc, eq, isNull, lte, or, sql } from "drizzle-orm";
import type { Drafter, PostForDraft } from "../ai/types.js";
import type { Database } from "../db/database.js";
import { posts } from "../db/schema.js";
import { createDraftReply } from "./replies/create-reply.js";
import type { Logger } from "../logger.js";
import type { NoticeSink } from "./notices.js";
import type { PauseSwitch } from "./pause.js";
import type { SettingsStore } from "./settings.js";
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
  readonly now?: () => Date;
  /** Told about every failed draft attempt (the tweet_processing_failed alert). */
  readonly notify?: NoticeSink;
}

/** How many posts one drafting pass handles (each is at least one AI call). */
const BATCH_SIZE = 10;
const RETRY_BASE_MS = 30_000;
const RETRY_MAX_MS = 30 * 60_000;

/** The view of a stored post the AI gets. */
export function postForDraft(post: Post): PostForDraft {
  return { text: post.text, authorUsername: post.authorUsername ?? undefined, source: post.source };
}

/** Delay before the n-th retry of a failed draft (AI down): doubling, capped at 30 minutes. */
export function draftRetryDelayMs(attempts: number): number {
  return Math.min(RETRY_BASE_MS * 2 ** Math.max(0, attempts - 1), RETRY_MAX_MS);
}

/**
 * Drafts replies for posts waiting for one: optional gatekeeper first (decided once, fail-open),
 * then the draft. A failing AI leaves the post waiting with a backoff, so drafts are made once the
 * provider is back. The reply row and the post's new state are written in one transaction, and
 * the unique post id on replies makes a second draft of one post impossible.
 */
export async function runDrafting(deps: DraftingDeps): Promise<number[]> {
  const { db, drafter, logger } = deps;
  const now = deps.now ?? (() => new Date());
  if (!drafter || (await deps.pause.isPaused())) return [];
  const due = await db
    .select()
    .from(posts)
    .where(and(eq(posts.state, "pending_draft"), or(isNull(posts.nextDraftAt), lte(posts.nextDraftAt, now()))))
    .orderBy(asc(posts.discoveredAt))
    .limit(BATCH_SIZE);
  const created: number[] = [];
  for (const post of due) {
    // An author may opt out while their post waits (e.g. for the AI to come back): never draft it then.
    if (post.authorUsername && (await deps.watchlist.isOptedOut(post.authorUsername))) {
      await db
        .update(posts)
        .set({ state: "skipped", skipReason: "opted_out" })
        .where(and(eq(posts.tweetId, post.tweetId), eq(posts.state, "pending_draft")));
      await recordEvent(db, { kind: "skipped", postTweetId: post.tweetId });
      continue;
    }
    const settings = await deps.settings.current();
    try {
      if (settings.gatekeeperEnabled && post.gateCheckedAt === null) {
        const passed = await gatekeep(deps, drafter, post, settings.gatekeeperMinScore);
        if (!passed) continue;
      }
      const outcome = await drafter.draft(postForDraft(post), settings.persona);
      const replyId = await db.transaction(async (tx) => {
        // Claim the post first: if it was skipped meanwhile (opt-out) or drafted by another run, stop.
        const claimed = await tx
          .update(posts)
          .set({ state: "drafted" })
          .where(and(eq(posts.tweetId, post.tweetId), eq(posts.state, "pending_draft")))
          .returning({ tweetId: posts.tweetId });
        if (claimed.length === 0) return undefined;
        return createDraftReply(tx, {
          postTweetId: post.tweetId,
          accountId: post.accountId,
          draft: outcome.text,
          weightedLength: outcome.weightedLength,
          tooLong: outcome.tooLong,
          model: outcome.model,
          expiresAt: new Date(now().getTime() + deps.draftTtlHours * 3_600_000),
        });
      });
      if (replyId !== undefined) {
        created.push(replyId);
        await recordEvent(db, { kind: "drafted", replyId, postTweetId: post.tweetId });
      }
    } catch (error) {
      const attempts = post.draftAttempts + 1;
      const retryAt = new Date(now().getTime() + draftRetryDelayMs(attempts));
      await db
        .update(posts)
        .set({ draftAttempts: attempts, nextDraftAt: retryAt })
        .where(eq(posts.tweetId, post.tweetId));
      logger.warn({ err: error, tweetId: post.tweetId, attempts, retryAt }, "drafting failed; will retry");
      const reason = error instanceof Error ? error.message : String(error);
      deps.notify?.({ kind: "draft_failed", tweetId: post.tweetId, reason, attempts });
    }
  }
  return created;
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
  await deps.db
    .update(posts)
    .set({
      gateCheckedAt: sql`now()`,
      gateScore: score,
      gateReason: reason.slice(0, 500),
      ...(passed ? {} : { state: "skipped" as const, skipReason: "gatekeeper" }),
    })
    .where(eq(posts.tweetId, post.tweetId));
  if (!passed) await recordEvent(deps.db, { kind: "skipped", postTweetId: post.tweetId });
  return passed;
}
