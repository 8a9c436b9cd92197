import { classifyFailure, type Failure } from "../../resilience/failure.js";
import { findExistingReply } from "../../x/reconcile.js";
import type { XPostVersion } from "../../x/types.js";
import type { XAccount, XAccounts } from "../accounts.js";
import type { OptOutCache } from "../opt-out-cache.js";
import type { ReplyPolicy } from "../discovery.js";
import { requiredAccount, type Claim, type StoredIdentity } from "../replies/claim-replies.js";
import { decidePublishOutcome, type DeadLetterNote } from "./decide-outcome.js";
import type { OutcomeRecorder } from "./record-outcome.js";
import type { Pacing } from "./pacing.js";
import type { MediaPrepare } from "./prepare-media.js";
import type { StrandedClaims } from "./stranded-claims.js";

/** After one reply: go on with the account, or claim nothing more for it in this run (account down, 429). */
export type AccountNext = "continue" | "stop_account";

/** How one attempt ended for the run's counts: published, failed, or anything else (a retry, back to review…). */
export type AttemptEnd = "published" | "failed" | "other";

/**
 * What one attempt did: what next for its account, whether a POST went out, and how the reply ended — known once
 * its outcome is written (a publish is written in the background, so the account posts on meanwhile).
 */
export interface AttemptResult {
  readonly next: AccountNext;
  readonly sent: boolean;
  readonly end: Promise<AttemptEnd>;
}

/** What one publish attempt needs. */
export interface AttemptDeps {
  readonly accounts: XAccounts;
  readonly replyPolicy: () => ReplyPolicy;
  readonly outcomes: OutcomeRecorder;
  readonly pacing: Pacing;
  readonly now: () => Date;
  readonly maxAttempts: number;
  readonly retryBaseMs: number;
  /** Turns a reply's attachment into a media id of the claiming account (uploading it when needed). */
  readonly prepareMedia: MediaPrepare;
  /** Where a claim goes whose outcome the database failed to take, to be handed back at the next run. */
  readonly stranded: StrandedClaims;
  /** The opt-outs checked right before the POST. */
  readonly optOuts: OptOutCache;
}

/** Why a claim goes back when the database failed before anything went to X. */
function unpostedReason(error: unknown): string {
  return `nothing was posted: the database failed before the POST (${classifyFailure(error).message})`;
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
  const { outcomes } = deps;

  /** X refused the POST as duplicate content: most likely our own earlier attempt went through. */
  async function reconcileDuplicate(out: OutcomeRecorder, account: XAccount, claim: Claim, postId: string, userId: string): Promise<void> {
    let existing: Awaited<ReturnType<typeof findExistingReply>>;
    try {
      existing = await findExistingReply(account.client, userId, postId, { text: claim.reply.draft });
    } catch (readError) {
      // Could not look: release the claim now (not at lease expiry) and look first next time.
      const message = classifyFailure(readError).message;
      await out.retryLater(claim, `X refused it as duplicate content, and checking X failed: ${message}`, { ambiguous: true });
      return;
    }
    if (existing) {
      await out.published(claim, existing.id, "reconciled");
      return;
    }
    await out.failed(claim, "X refused it as duplicate content, and no reply of ours to that post exists", {
      errorType: "duplicate_content",
      retryable: false,
    });
  }

  /** One failed call: decided by the rules, then written. */
  async function handleFailure(
    out: OutcomeRecorder,
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
        if (duplicate) await reconcileDuplicate(out, account, claim, duplicate.postId, duplicate.userId);
        return "continue";
      case "retry":
        await out.retryLater(claim, next.error, { ambiguous: next.ambiguous, at: next.at });
        return "continue";
      case "account_down":
        if (next.credentialsRejected) await deps.accounts.setStatus(account.id, "failed", next.error);
        await out.retryLater(claim, next.error, { ambiguous: false, at: deps.now(), uncounted: true });
        return "stop_account";
      case "rate_limit_wait":
        await deps.accounts.rateLimitUntil(account.id, next.until);
        // A reply free to move is due now, for another account; one held to this account waits for its reset.
        await out.retryLater(claim, next.error, {
          ambiguous: false,
          at: requiredAccount(claim.reply) === null ? deps.now() : next.until,
        });
        return "stop_account";
      case "fail":
        await out.failed(claim, next.reason, next.deadLetter);
        return "continue";
    }
  }

  /**
   * The database failed before anything went to X: hand the claim back at once, due now, rather than
   * leave it held until its lease ends. If even that write fails, the claim is kept to hand back at the next run.
   */
  async function releaseUnposted(out: OutcomeRecorder, claim: Claim, error: unknown): Promise<AccountNext> {
    await out.retryLater(claim, unpostedReason(error), { ambiguous: false, at: deps.now() });
    return "stop_account";
  }

  /** The attempt itself, its outcomes written through `out`; `sent` is set once the POST went out (whatever came back). */
  async function attempt(
    out: OutcomeRecorder,
    account: XAccount,
    claim: Claim,
    identity: StoredIdentity,
    sent: { value: boolean },
  ): Promise<AccountNext> {
    const { reply, post } = claim;
    const failed = async (reason: string, note: DeadLetterNote): Promise<AccountNext> => {
      await out.failed(claim, reason, note);
      return "continue";
    };
    const published = async (tweetId: string, how: "posted" | "reconciled"): Promise<AccountNext> => {
      await out.published(claim, tweetId, how);
      return "continue";
    };
    if (!post) return failed("the post this reply answers is missing", { errorType: "post_missing", retryable: false });
    if (deps.replyPolicy() === "summoned" && !post.answerable) {
      return failed("not answerable: the author did not mention or quote this account (REPLY_POLICY=summoned)", {
        errorType: "not_answerable",
        retryable: false,
      });
    }
    let userId: string;
    let live: XPostVersion | undefined;
    let latest: XPostVersion | undefined;
    try {
      userId = identity.userId ?? (await deps.accounts.identity(account)).userId;
      if (reply.needsReconcile) {
        const existing = await findExistingReply(account.client, userId, post.tweetId, { text: reply.draft });
        if (existing) return published(existing.id, "reconciled");
      }
      // The post is read again: replies wait up to hours, and X allows edits for an hour.
      live = await account.client.getPost(post.tweetId);
      latest = live && live.latestVersionId !== post.tweetId ? await account.client.getPost(live.latestVersionId) : live;
    } catch (error) {
      // Nothing was posted: reading X (or the database, for a first users/me) failed. The reconcile flag stays.
      return handleFailure(out, account, claim, classifyFailure(error), "check", undefined);
    }
    if (!live || !latest) {
      return failed("the post was deleted or not visible on X any more, so nothing was posted", {
        errorType: "deleted_post",
        retryable: false,
      });
    }
    // Edited since the draft: X has a newer version whose text we have not stored yet (once stored and
    // approved again, the same newer version no longer counts as an edit).
    if (latest !== live && latest.post.text !== post.text) {
      await out.postEdited(claim, {
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
      if (media.kind === "failed") return await handleFailure(out, account, claim, media.failure, "media", undefined);
      mediaIds = media.mediaIds;
    } catch (error) {
      return releaseUnposted(out, claim, error);
    }
    let optedOut: boolean;
    try {
      // Last check before the POST: an /optout that came after the claim still stops it.
      optedOut = await deps.optOuts.anyOptedOut([post.authorUsername, live.post.authorUsername]);
    } catch (error) {
      return releaseUnposted(out, claim, error);
    }
    if (optedOut) {
      await out.cancelled(claim, `@${post.authorUsername ?? live.post.authorUsername ?? post.authorId} opted out`);
      return "continue";
    }
    let posted: { id: string };
    try {
      sent.value = true;
      posted = await account.client.postReply(reply.draft, post.tweetId, undefined, mediaIds);
    } catch (error) {
      return await handleFailure(out, account, claim, classifyFailure(error), "post", { postId: post.tweetId, userId });
    }
    return published(posted.id, "posted");
  }

  /**
   * One claimed reply, start to end. The account's gap, reserved by the claim, runs from the POST once one
   * went out, and is given back when none did.
   */
  return async function publishClaimed(account: XAccount, claim: Claim, identity: StoredIdentity): Promise<AttemptResult> {
    const sent = { value: false };
    let end: AttemptEnd = "other";
    let recording: Promise<void> = Promise.resolve();
    // The run counts what was written for this attempt: a published or failed outcome that lost its claim is not.
    const out: OutcomeRecorder = {
      ...outcomes,
      // The reply is on X: its completion is written while the account goes on to its next reply (it joins the
      // next group of completions), so this answers at once and the run counts the outcome from `end`. A failure
      // from here on is the database's, never a reason to post again.
      published(claim, tweetId, how) {
        recording = outcomes.published(claim, tweetId, how).then(
          (written) => {
            if (written) end = "published";
          },
          async (recordError: unknown) => {
            // Flagged for a reconcile at once; if even that cannot be written, the claim is kept and handed back,
            // flagged the same way, at the next run.
            const message = `X took the reply (${tweetId}) but recording it failed: ${classifyFailure(recordError).message}`;
            await outcomes.retryLater(claim, message, { ambiguous: true }).catch(() => {
              deps.stranded.hold({ claim, reason: message, ambiguous: true, uncounted: false });
            });
          },
        );
        return Promise.resolve(true);
      },
      async failed(...args) {
        const written = await outcomes.failed(...args);
        if (written) end = "failed";
        return written;
      },
    };
    try {
      const next = await attempt(out, account, claim, identity, sent);
      return { next, sent: sent.value, end: recording.then(() => end) };
    } catch (error) {
      // Only a write can throw here (every call to X is caught above): the database failed to take the outcome.
      const reason = sent.value ? `the database failed after the POST, before its outcome was recorded (${classifyFailure(error).message})` : unpostedReason(error);
      deps.stranded.hold({ claim, reason, ambiguous: sent.value, uncounted: false });
      return { next: "stop_account", sent: sent.value, end: recording.then(() => end) };
    } finally {
      await (sent.value ? deps.pacing.afterPost(claim) : deps.pacing.unused(claim)).catch(() => undefined);
    }
  };
}
