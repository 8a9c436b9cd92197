import { eq } from "drizzle-orm";
import type { Database } from "../../db/database.js";
import { posts } from "../../db/schema.js";
import { classifyFailure, type Failure } from "../../resilience/failure.js";
import { findExistingReply } from "../../x/reconcile.js";
import type { XPostVersion } from "../../x/types.js";
import type { XAccount, XAccounts } from "../accounts.js";
import type { ReplyPolicy } from "../discovery.js";
import { requiredAccount, type Claim } from "../replies/claim-reply.js";
import type { RuntimeSettings } from "../settings.js";
import { anyOptedOut } from "../watchlist.js";
import { decidePublishOutcome } from "./decide-outcome.js";
import type { OutcomeRecorder } from "./record-outcome.js";
import type { Pacing } from "./pacing.js";
import type { MediaPrepare } from "./prepare-media.js";

/** After one reply: go on with the account, or claim nothing more for it in this run (account down, 429). */
export type AccountNext = "continue" | "stop_account";

/** What one publish attempt needs. */
export interface AttemptDeps {
  readonly db: Database;
  readonly accounts: XAccounts;
  readonly replyPolicy: () => ReplyPolicy;
  readonly outcomes: OutcomeRecorder;
  readonly pacing: Pacing;
  readonly now: () => Date;
  readonly maxAttempts: number;
  readonly retryBaseMs: number;
  /** Turns a reply's attachment into a media id of the claiming account (uploading it when needed). */
  readonly prepareMedia: MediaPrepare;
}

/**
 * One claimed reply, from the checks to its outcome: the post must exist and (REPLY_POLICY=summoned)
 * be answerable; a reply flagged `needs_reconcile` is first looked for at X; the post is read again
 * at X (deleted → failed; edited since the draft → back to awaiting approval with the new text);
 * an attachment is uploaded (or its earlier upload reused); the author's opt-out is checked last, right
 * before the POST (→ cancelled); then it is posted, with the media id.
 * Every failure goes through `decidePublishOutcome`; a 403 duplicate is reconciled.
 */
export function createAttempt(deps: AttemptDeps) {
  const { db, outcomes } = deps;

  /** X refused the POST as duplicate content: most likely our own earlier attempt went through. */
  async function reconcileDuplicate(account: XAccount, claim: Claim, postId: string, userId: string): Promise<void> {
    let existing: Awaited<ReturnType<typeof findExistingReply>>;
    try {
      existing = await findExistingReply(account.client, userId, postId, { text: claim.reply.draft });
    } catch (readError) {
      // Could not look: release the claim now (not at lease expiry) and look first next time.
      const message = classifyFailure(readError).message;
      await outcomes.retryLater(claim, `X refused it as duplicate content, and checking X failed: ${message}`, { ambiguous: true });
      return;
    }
    if (existing) {
      await outcomes.published(claim, existing.id, "reconciled");
      return;
    }
    await outcomes.failed(claim, "X refused it as duplicate content, and no reply of ours to that post exists", {
      errorType: "duplicate_content",
      retryable: false,
    });
  }

  /** One failed call: decided by the rules, then written. */
  async function handleFailure(
    account: XAccount,
    claim: Claim,
    failure: Failure,
    phase: "check" | "media" | "post",
    duplicate: { postId: string; userId: string } | undefined,
  ): Promise<AccountNext> {
    const next = decidePublishOutcome(failure, claim.reply, {
      phase,
      now: deps.now(),
      maxAttempts: deps.maxAttempts,
      retryBaseMs: deps.retryBaseMs,
    });
    switch (next.kind) {
      case "check_duplicate":
        // Only a POST is refused as duplicate content, and a POST always comes with what to look for.
        if (duplicate) await reconcileDuplicate(account, claim, duplicate.postId, duplicate.userId);
        return "continue";
      case "retry":
        await outcomes.retryLater(claim, next.error, { ambiguous: next.ambiguous, at: next.at });
        return "continue";
      case "account_down":
        if (next.credentialsRejected) await deps.accounts.setStatus(account.id, "failed", next.error);
        await outcomes.retryLater(claim, next.error, { ambiguous: false, at: deps.now(), uncounted: true });
        return "stop_account";
      case "rate_limit_wait":
        await deps.accounts.rateLimitUntil(account.id, next.until);
        // A reply free to move is due now, for another account; one held to this account waits for its reset.
        await outcomes.retryLater(claim, next.error, {
          ambiguous: false,
          at: requiredAccount(claim.reply) === null ? deps.now() : next.until,
        });
        return "stop_account";
      case "fail":
        await outcomes.failed(claim, next.reason, next.deadLetter);
        return "continue";
    }
  }

  /**
   * The database failed before anything went to X: hand the claim back at once, due now, rather than
   * leave it held until its lease ends. If even that write fails, the lease's release covers it.
   */
  async function releaseUnposted(claim: Claim, error: unknown): Promise<AccountNext> {
    const message = `nothing was posted: the database failed before the POST (${classifyFailure(error).message})`;
    await outcomes.retryLater(claim, message, { ambiguous: false, at: deps.now() }).catch(() => false);
    return "stop_account";
  }

  return async function publishClaimed(account: XAccount, claim: Claim, settings: RuntimeSettings): Promise<AccountNext> {
    const { reply } = claim;
    let post: typeof posts.$inferSelect | undefined;
    try {
      [post] = await db.select().from(posts).where(eq(posts.tweetId, reply.postTweetId));
    } catch (error) {
      return releaseUnposted(claim, error);
    }
    if (!post) {
      await outcomes.failed(claim, "the post this reply answers is missing", { errorType: "post_missing", retryable: false });
      return "continue";
    }
    if (deps.replyPolicy() === "summoned" && !post.answerable) {
      await outcomes.failed(claim, "not answerable: the author did not mention or quote this account (REPLY_POLICY=summoned)", {
        errorType: "not_answerable",
        retryable: false,
      });
      return "continue";
    }
    let userId: string;
    let live: XPostVersion | undefined;
    let latest: XPostVersion | undefined;
    try {
      userId = (await deps.accounts.identity(account)).userId;
      if (reply.needsReconcile) {
        const existing = await findExistingReply(account.client, userId, post.tweetId, { text: reply.draft });
        if (existing) {
          await outcomes.published(claim, existing.id, "reconciled");
          return "continue";
        }
      }
      // The post is read again: replies wait up to hours, and X allows edits for an hour.
      live = await account.client.getPost(post.tweetId);
      latest = live && live.latestVersionId !== post.tweetId ? await account.client.getPost(live.latestVersionId) : live;
    } catch (error) {
      // Nothing was posted: reading X failed. The reconcile flag stays for the next attempt.
      return handleFailure(account, claim, classifyFailure(error), "check", undefined);
    }
    if (!live || !latest) {
      await outcomes.failed(claim, "the post was deleted or not visible on X any more, so nothing was posted", {
        errorType: "deleted_post",
        retryable: false,
      });
      return "continue";
    }
    // Edited since the draft: X has a newer version whose text we have not stored yet (once stored and
    // approved again, the same newer version no longer counts as an edit).
    if (latest !== live && latest.post.text !== post.text) {
      await outcomes.postEdited(claim, {
        newText: latest.post.text,
        reason: "the post was edited on X after this draft: check the draft against its new text",
      });
      return "continue";
    }
    let mediaIds: readonly string[] | undefined;
    try {
      // Before the opt-out check: an upload can take minutes, and the check belongs right before the POST.
      const media = await deps.prepareMedia(account, claim);
      if (media.kind === "lost") return "continue";
      if (media.kind === "failed") return await handleFailure(account, claim, media.failure, "media", undefined);
      mediaIds = media.mediaIds;
    } catch (error) {
      return releaseUnposted(claim, error);
    }
    let optedOut: boolean;
    try {
      // Last check before the POST: an /optout that came after the claim still stops it.
      optedOut = await anyOptedOut(db, [post.authorUsername, live.post.authorUsername]);
    } catch (error) {
      return releaseUnposted(claim, error);
    }
    if (optedOut) {
      await outcomes.cancelled(claim, `@${post.authorUsername ?? live.post.authorUsername ?? post.authorId} opted out`);
      return "continue";
    }
    let posted: { id: string };
    try {
      posted = await account.client.postReply(reply.draft, post.tweetId, undefined, mediaIds);
    } catch (error) {
      return await handleFailure(account, claim, classifyFailure(error), "post", { postId: post.tweetId, userId });
    } finally {
      await deps.pacing.holdAccount(account.id, settings);
    }
    // X took the reply: a failure from here on is the database's, never a reason to post again.
    try {
      await outcomes.published(claim, posted.id, "posted");
    } catch (recordError) {
      // Flag it for a reconcile at once; if even that cannot be written, the claim's lease runs
      // out and its release flags it the same way.
      const message = `X took the reply (${posted.id}) but recording it failed: ${classifyFailure(recordError).message}`;
      await outcomes.retryLater(claim, message, { ambiguous: true });
    }
    return "continue";
  }
}
