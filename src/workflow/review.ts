import { and, eq, gt, lt, sql } from "drizzle-orm";
import type { Drafter } from "../ai/types.js";
import type { Database } from "../db/database.js";
import { posts, replies } from "../db/schema.js";
import { weightedLength, X_MAX_WEIGHTED_LENGTH } from "../text/weighted-length.js";
import { postForDraft } from "./drafting.js";
import { findReply, STATUS_WORDS, transitionReply, type Reply } from "./reply-states.js";
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
}

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

/** The admin actions on a draft, each one conditional state transition. */
export function createReview(deps: ReviewDeps) {
  const { db } = deps;
  const now = deps.now ?? (() => new Date());
  const expiresInFuture = () => gt(replies.expiresAt, now());

  return {
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
      const reply = await transitionReply(
        db,
        id,
        "awaiting_approval",
        "approved",
        { decidedBy: by, decidedAt, scheduledAt },
        and(eq(replies.version, version), eq(replies.tooLong, false), expiresInFuture()),
      );
      if (!reply) return refusal(db, id, now(), version);
      await recordEvent(db, { kind: "approved", replyId: id, actor: by });
      return { ok: true, reply };
    },

    /** Rejects the draft; the post is never answered. */
    async reject(id: number, version: number, by: number): Promise<ReviewResult> {
      const reply = await transitionReply(
        db,
        id,
        "awaiting_approval",
        "rejected",
        { decidedBy: by, decidedAt: now() },
        eq(replies.version, version),
      );
      if (!reply) return refusal(db, id, now(), version);
      await recordEvent(db, { kind: "rejected", replyId: id, actor: by });
      return { ok: true, reply };
    },

    /** Replaces the draft with the admin's text if X would accept its length; otherwise changes nothing. */
    async edit(id: number, text: string, by: number): Promise<ReviewResult> {
      const draft = text.trim();
      if (draft === "") return { ok: false, message: "The new text is empty; the draft is unchanged." };
      const length = weightedLength(draft);
      if (length > X_MAX_WEIGHTED_LENGTH) {
        return {
          ok: false,
          message: `Too long: ${length} of ${X_MAX_WEIGHTED_LENGTH} weighted characters. Send a shorter text or /cancel.`,
        };
      }
      const reply = await transitionReply(
        db,
        id,
        "awaiting_approval",
        "awaiting_approval",
        { draft, weightedLength: length, tooLong: false },
        expiresInFuture(),
      );
      if (!reply) return refusal(db, id, now());
      await recordEvent(db, { kind: "edited", replyId: id, actor: by });
      return { ok: true, reply };
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
      const reply = await transitionReply(
        db,
        id,
        "awaiting_approval",
        "awaiting_approval",
        { draft: outcome.text, weightedLength: outcome.weightedLength, tooLong: outcome.tooLong, model: outcome.model },
        and(eq(replies.version, version), expiresInFuture()),
      );
      if (!reply) return refusal(db, id, now(), version);
      await recordEvent(db, { kind: "regenerated", replyId: id, actor: by });
      return { ok: true, reply };
    },

    /** Expires drafts nobody decided on within their time to live. Returns their ids. */
    async expireDrafts(): Promise<number[]> {
      const expired = await db
        .update(replies)
        .set({ status: "expired", version: sql`${replies.version} + 1`, updatedAt: sql`now()` })
        .where(and(eq(replies.status, "awaiting_approval"), lt(replies.expiresAt, now())))
        .returning({ id: replies.id });
      for (const { id } of expired) await recordEvent(db, { kind: "expired", replyId: id });
      return expired.map(({ id }) => id);
    },
  };
}

/** The review actions' interface. */
export type Review = ReturnType<typeof createReview>;
