import { createConversation } from "@grammyjs/conversations";
import { Composer, type Context } from "grammy";
import type { Review } from "../../workflow/review.js";
import { findReply } from "../../workflow/replies/find-reply.js";
import { formatLocalTime } from "../../workflow/schedule.js";
import type { Database } from "../../db/database.js";
import { decodeCallback } from "../callback-data/index.js";
import type { BotContext } from "../context.js";
import { createEditDraftConversation, EDIT_DRAFT_CONVERSATION } from "../conversations/edit-draft.js";

/** What the card buttons need. */
export interface ReviewFeatureDeps {
  readonly db: Database;
  /** The review actions; they redraw the cards and wake the publisher themselves. */
  readonly review: Review;
}

/** Telegram's limit on callback answers. */
const ANSWER_MAX = 200;

/** The card buttons: Approve, Reject, Edit (a conversation), Regenerate. Every press is answered. */
export function createReviewFeature(deps: ReviewFeatureDeps): Composer<BotContext> {
  const feature = new Composer<BotContext>();
  feature.use(
    createConversation<BotContext, Context>(createEditDraftConversation(deps.review), EDIT_DRAFT_CONVERSATION),
  );

  // Reached only when no edit is in progress (the conversation consumes /cancel otherwise).
  feature.command("cancel", (ctx) => ctx.reply("Nothing to cancel."));

  feature.on("callback_query:data", async (ctx, next) => {
    const action = decodeCallback(ctx.callbackQuery.data);
    if (action?.kind !== "approve" && action?.kind !== "reject" && action?.kind !== "edit" && action?.kind !== "regenerate") {
      return next();
    }
    const adminId = ctx.from.id;
    const answer = (text: string) => ctx.answerCallbackQuery({ text: text.slice(0, ANSWER_MAX) });

    switch (action.kind) {
      case "approve": {
        const result = await deps.review.approve(action.replyId, action.version, adminId);
        if (!result.ok) return answer(result.message);
        const when = result.reply.scheduledAt ? formatLocalTime(result.reply.scheduledAt, ctx.config.timeZone) : "soon";
        return answer(`Approved — scheduled for ${when}`);
      }
      case "reject": {
        const result = await deps.review.reject(action.replyId, action.version, adminId);
        return answer(result.ok ? "Rejected." : result.message);
      }
      case "edit": {
        const reply = await findReply(deps.db, action.replyId);
        if (!reply || reply.status !== "awaiting_approval") {
          return answer(reply ? `Already ${reply.status.replace("_", " ")}.` : "This reply no longer exists.");
        }
        await answer("Send the new text in this chat.");
        await ctx.conversation.exitAll();
        await ctx.conversation.enter(EDIT_DRAFT_CONVERSATION, action.replyId, adminId);
        return;
      }
      case "regenerate": {
        // The model can take seconds; answer the press first so Telegram's spinner stops.
        await answer("Asking the model for a new draft…");
        try {
          const result = await deps.review.regenerate(action.replyId, action.version, adminId);
          if (!result.ok) await ctx.reply(`Regenerate #${action.replyId}: ${result.message}`);
        } catch (error) {
          ctx.logger.warn({ err: error, replyId: action.replyId }, "regenerate failed");
          await ctx.reply(`Regenerate #${action.replyId} failed: the AI provider did not answer. The draft is unchanged.`);
        }
        return;
      }
    }
  });
  return feature;
}
