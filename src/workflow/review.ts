import { eq } from "drizzle-orm";
import type { Drafter } from "../ai/types.js";
import type { Database } from "../db/database.js";
import type { WakeSignal } from "../db/notifications.js";
import { posts, replies } from "../db/schema.js";
import type { Logger } from "../logger.js";
import { stripInvisible } from "../text/invisible.js";
import { weightedLength, X_MAX_WEIGHTED_LENGTH } from "../text/weighted-length.js";
import { postForDraft } from "./drafting.js";
import { approveReply } from "./replies/approve-reply.js";
import { adoptCard } from "./replies/card-state.js";
import { expireReplies } from "./replies/expire-replies.js";
import { findReply } from "./replies/find-reply.js";
import { redraftReply } from "./replies/redraft-reply.js";
import { rejectReply } from "./replies/reject-reply.js";
import { setReplyMedia } from "./replies/set-reply-media.js";
import type { MediaCandidate } from "./media/types.js";
import { validateMedia, type MediaLimits } from "./media/validate.js";
import { releaseUnconfirmedReply } from "./replies/release-unconfirmed.js";
import { STATUS_WORDS, type Reply } from "./reply-states.js";
import { computePublishTime } from "./schedule.js";
import type { SettingsStore } from "./settings.js";
import { recordEvent } from "./stats.js";

/** The outcome of an admin's action on a reply: done, or refused with a short reason. */
export type ReviewResult = { readonly ok: true; readonly reply: Reply } | { readonly ok: false; readonly message: string };

/** What the review actions need. */
export interface ReviewDeps {
  readonly db: Database;
  readonly settings: SettingsStore;
  readonly drafter: Drafter | undefined;
  readonly timeZone: string;
  readonly now?: () => Date;
  readonly random?: () => number;
  /** Starts redrawing the cards after a change; must not wait for Telegram (the admin's answer comes first). */
  readonly redrawCards?: () => void;
  /** Asks the publisher to run now (an approved reply may be due at once); must not wait for it. */
  readonly wakePublisher?: () => void;
  /**
   * An approval's wake-up when replicas share the database: `signal` goes out with the approval's own statement (the
   * other replicas wake at its commit) and `wakeHere` then runs this replica's publisher alone. Without it,
   * {@link wakePublisher} wakes them all after the commit.
   */
  readonly approvalWake?: { readonly signal: WakeSignal; readonly wakeHere: () => void };
  /** Whether an account is out of the pool now (it cannot check X for a reply it may have posted). */
  readonly isAccountDown?: (accountId: number) => boolean;
  /** What an attachment may weigh besides X's own limits (the chat's download limit). */
  readonly mediaLimits?: MediaLimits;
  /** Where each decision is logged, traced by the post's id. */
  readonly logger?: Logger;
}

/**
 * Which card a button press came from: the reply's stored card (or no reply at all: the action explains), a card
 * whose id was never stored and is now `adopted` as the reply's card, or a `superseded` earlier copy.
 */
export type CardPress = "current" | "adopted" | "superseded";

/** Telegram's cloud Bot API download limit, the default when none is given. */
const CLOUD_DOWNLOAD_LIMIT_BYTES = 20 * 1024 * 1024;

/** Explains why an action did not apply, from the reply's current state. */
async function refusal(db: Database, id: number, now: Date, version?: number): Promise<ReviewResult> {
  const reply = await findReply(db, id);
  if (!reply) return { ok: false, message: "This reply no longer exists." };
  if (reply.status !== "awaiting_approval") return { ok: false, message: `Already ${STATUS_WORDS[reply.status]}.` };
  if (reply.expiresAt <= now) return { ok: false, message: "This draft has expired." };
  if (version !== undefined && reply.version !== version) {
    return { ok: false, message: "The draft changed since this card was drawn; look at the updated card." };
  }
  return { ok: false, message: "Nothing changed." };
}

/**
 * The admin actions on a draft, each one conditional state transition (replies/). After a change
 * the review itself wakes the publisher (approve) and then redraws the cards: callers only answer.
 */
export function createReview(deps: ReviewDeps) {
  const { db } = deps;
  const now = deps.now ?? (() => new Date());
  const changed = (reply: Reply, action: string, by: number): ReviewResult => {
    deps.logger?.info({ trace: reply.postTweetId, replyId: reply.id, actor: by }, `reply ${action}`);
    deps.redrawCards?.();
    return { ok: true, reply };
  };

  return {
    /**
     * Sorts a press on message `messageId` (a card drawn for `version`) before its action runs. A card sent just
     * before a crash, whose id was never stored, is adopted as the reply's card (the next sync then redraws it
     * instead of sending another); a press on any other message than the stored card is on a superseded copy, and
     * nothing about the reply changes.
     */
    async cardPress(id: number, messageId: number, version: number): Promise<CardPress> {
      const reply = await findReply(db, id);
      if (!reply || reply.cardMessageId === messageId) return "current";
      const log = { trace: reply.postTweetId, replyId: id, messageId, cardMessageId: reply.cardMessageId };
      if (reply.cardMessageId === null && (await adoptCard(db, id, messageId, version))) {
        deps.logger?.warn(log, "card adopted: a press came on a card whose send was never recorded");
        return "adopted";
      }
      // Adoption loses to a card stored meanwhile (read which one won) or to a version the reply never had.
      const stored = (await findReply(db, id))?.cardMessageId ?? null;
      if (stored === null || stored === messageId) return "current";
      deps.logger?.warn(log, "press on a superseded copy of a card; nothing changed");
      return "superseded";
    },

    /** The reply as it is now (the Edit button checks it still awaits approval); undefined when gone. */
    find: (id: number): Promise<Reply | undefined> => findReply(db, id),

    /**
     * Approves the draft exactly as the admin saw it (`version` from the card) and schedules it.
     * A too-long draft cannot be approved: it must be edited first.
     */
    async approve(id: number, version: number, by: number): Promise<ReviewResult> {
      const current = await findReply(db, id);
      if (current?.status === "awaiting_approval" && current.version === version && current.tooLong) {
        return { ok: false, message: `Too long (${current.weightedLength}/${X_MAX_WEIGHTED_LENGTH}): edit it first.` };
      }
      const settings = await deps.settings.current();
      const decidedAt = now();
      const scheduledAt = computePublishTime({
        now: decidedAt,
        minDelayMinutes: settings.minDelayMinutes,
        maxDelayMinutes: settings.maxDelayMinutes,
        jitterSeconds: settings.jitterSeconds,
        quietHours: settings.quietHours,
        timeZone: deps.timeZone,
        random: deps.random,
      });
      const reply = await approveReply(db, { id, version, by, decidedAt, scheduledAt }, deps.approvalWake?.signal);
      if (!reply) return refusal(db, id, now(), version);
      // Committed: the publisher may start before Telegram is asked to redraw anything.
      if (deps.approvalWake) deps.approvalWake.wakeHere();
      else deps.wakePublisher?.();
      return changed(reply, "approved", by);
    },

    /** Rejects the draft; the post is never answered. */
    async reject(id: number, version: number, by: number): Promise<ReviewResult> {
      const reply = await rejectReply(db, { id, version, by, decidedAt: now() });
      if (!reply) return refusal(db, id, now(), version);
      await recordEvent(db, { kind: "rejected", replyId: id, actor: by });
      return changed(reply, "rejected", by);
    },

    /**
     * Replaces the draft with the admin's text, without invisible characters (the card then shows exactly what is
     * posted), if X would accept its length; otherwise changes nothing.
     */
    async edit(id: number, text: string, by: number): Promise<ReviewResult> {
      const draft = stripInvisible(text).trim();
      if (draft === "") return { ok: false, message: "The new text is empty; the draft is unchanged." };
      const length = weightedLength(draft);
      if (length > X_MAX_WEIGHTED_LENGTH) {
        return {
          ok: false,
          message: `Too long: ${length} of ${X_MAX_WEIGHTED_LENGTH} weighted characters. Send a shorter text or /cancel.`,
        };
      }
      const reply = await redraftReply(db, id, { draft, weightedLength: length, tooLong: false }, { now: now() });
      if (!reply) return refusal(db, id, now());
      await recordEvent(db, { kind: "edited", replyId: id, actor: by });
      return changed(reply, "edited", by);
    },

    /**
     * Attaches media to the draft after checking it against X's limits and the chat's download limit (a refusal
     * names the limit and changes nothing). Replaces an earlier attachment.
     */
    async attachMedia(id: number, candidate: MediaCandidate, by: number): Promise<ReviewResult> {
      const check = validateMedia(candidate, deps.mediaLimits ?? { downloadLimitBytes: CLOUD_DOWNLOAD_LIMIT_BYTES });
      if (!check.ok) return { ok: false, message: `${check.message} The draft is unchanged.` };
      const reply = await setReplyMedia(db, id, check.media, now());
      if (!reply) return refusal(db, id, now());
      await recordEvent(db, { kind: "media_attached", replyId: id, actor: by });
      return changed(reply, "media attached", by);
    },

    /** Removes the draft's attachment: it is published as text only. */
    async removeMedia(id: number, by: number): Promise<ReviewResult> {
      const current = await findReply(db, id);
      if (current?.status === "awaiting_approval" && current.mediaFileId === null) {
        return { ok: false, message: "This draft has no attachment." };
      }
      const reply = await setReplyMedia(db, id, undefined, now());
      if (!reply) return refusal(db, id, now());
      await recordEvent(db, { kind: "media_removed", replyId: id, actor: by });
      return changed(reply, "media removed", by);
    },

    /** Asks the model for a new draft of the same post. */
    async regenerate(id: number, version: number, by: number, signal?: AbortSignal): Promise<ReviewResult> {
      if (!deps.drafter) return { ok: false, message: "No AI provider is configured (OPENAI_API_KEY)." };
      const [row] = await db
        .select({ reply: replies, post: posts })
        .from(replies)
        .innerJoin(posts, eq(posts.tweetId, replies.postTweetId))
        .where(eq(replies.id, id));
      if (!row || row.reply.status !== "awaiting_approval" || row.reply.version !== version) {
        return refusal(db, id, now(), version);
      }
      const settings = await deps.settings.current();
      const outcome = await deps.drafter.draft(postForDraft(row.post), settings.persona, signal);
      const reply = await redraftReply(
        db,
        id,
        { draft: outcome.text, weightedLength: outcome.weightedLength, tooLong: outcome.tooLong, model: outcome.model },
        { now: now(), version },
      );
      if (!reply) return refusal(db, id, now(), version);
      await recordEvent(db, { kind: "regenerated", replyId: id, actor: by });
      return changed(reply, "regenerated", by);
    },

    /**
     * "Post from another account anyway": a free approved reply whose last attempt may have posted stays with that
     * account until it has read X; while that account is out of the pool, the admin may let another account post it
     * without the check (it may then appear twice). Refused once the account is back (it checks X itself).
     */
    async postFromAnotherAccount(id: number, version: number, by: number): Promise<ReviewResult> {
      const current = await findReply(db, id);
      if (!current) return { ok: false, message: "This reply no longer exists." };
      if (current.version !== version) return { ok: false, message: "The reply changed since this card was drawn; look at the updated card." };
      if (current.status !== "approved" || !current.needsReconcile || current.boundAccountId !== null || current.accountId === null) {
        return { ok: false, message: "Nothing to release: it is not held by an unconfirmed attempt." };
      }
      if (!deps.isAccountDown?.(current.accountId)) return { ok: false, message: "Its account is back: it checks X before posting." };
      const reply = await releaseUnconfirmedReply(db, { id, version, now: now() });
      if (!reply) return { ok: false, message: "The reply changed meanwhile; look at the updated card." };
      await recordEvent(db, { kind: "released_unconfirmed", replyId: id, actor: by });
      deps.wakePublisher?.();
      return changed(reply, "released to another account", by);
    },

    /** Expires drafts nobody decided on within their time to live. Returns their ids. */
    async expireDrafts(): Promise<number[]> {
      const expired = await expireReplies(db, now());
      for (const id of expired) await recordEvent(db, { kind: "expired", replyId: id });
      return expired;
    },
  };
}

/** The review actions' interface. */
export type Review = ReturnType<typeof createReview>;
