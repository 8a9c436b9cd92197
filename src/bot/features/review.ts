import { createConversation } from "@grammyjs/conversations";
import { Composer, type Context } from "grammy";
import { formatLocalTime } from "../../text/time.js";
import { anyReviewFilter, reviewCallbacks, unpackReviewPress } from "../callback-data/review.js";
import { supersededCardText } from "../cards/render-card.js";
import type { BotContext } from "../context.js";
import { createEditDraftConversation, EDIT_DRAFT_CONVERSATION } from "../conversations/edit-draft.js";
import { actorOf } from "../filters/actor.js";
import type { FeatureServices } from "./services.js";
import { clip, clipAnswer } from "../../text/clip.js";
import { AiError } from "../../ai/errors.js";

/** What the card buttons need. */
export type ReviewFeatureDeps = Pick<FeatureServices, "review">;

/** The card buttons: Approve, Reject, Edit (a conversation), Regenerate, and Post anyway on a held reply. Every press is answered. */
export function createReviewFeature(deps: ReviewFeatureDeps): Composer<BotContext> {
  const feature = new Composer<BotContext>();
  feature.use(
    createConversation<BotContext, Context>(createEditDraftConversation(deps.review), EDIT_DRAFT_CONVERSATION),
  );

  const answer = (ctx: BotContext, text: string) => ctx.answerCallbackQuery({ text: clipAnswer(text) });

  // Before any action: a press on an earlier copy of a card (sent again after a lost send) changes nothing and
  // strips that copy; a press on a card whose id was never stored adopts it, then the action runs as usual.
  feature.callbackQuery([...anyReviewFilter], async (ctx, next) => {
    const press = unpackReviewPress(ctx.callbackQuery.data);
    const messageId = ctx.callbackQuery.message?.message_id;
    if (!press || messageId === undefined) return next();
    if ((await deps.review.cardPress(press.replyId, messageId, press.version)) !== "superseded") return next();
    await answer(ctx, "This card was replaced by the one below.");
    await ctx.editMessageText(supersededCardText(press.replyId), { reply_markup: { inline_keyboard: [] } }).catch((error: unknown) => {
      ctx.logger.warn({ err: error, replyId: press.replyId, messageId }, "could not mark a superseded card copy");
    });
  });

  feature.callbackQuery(reviewCallbacks.approve.filter, async (ctx) => {
    const { replyId, version } = reviewCallbacks.approve.unpack(ctx.callbackQuery.data);
    const result = await deps.review.approve(replyId, version, actorOf(ctx));
    if (!result.ok) return answer(ctx, result.message);
    const when = result.reply.scheduledAt ? formatLocalTime(result.reply.scheduledAt, ctx.config.timeZone) : "soon";
    await answer(ctx, `Approved — scheduled for ${when}`);
  });

  feature.callbackQuery(reviewCallbacks.reject.filter, async (ctx) => {
    const { replyId, version } = reviewCallbacks.reject.unpack(ctx.callbackQuery.data);
    const result = await deps.review.reject(replyId, version, actorOf(ctx));
    await answer(ctx, result.ok ? "Rejected." : result.message);
  });

  feature.callbackQuery(reviewCallbacks.postAnyway.filter, async (ctx) => {
    const { replyId, version } = reviewCallbacks.postAnyway.unpack(ctx.callbackQuery.data);
    const result = await deps.review.postFromAnotherAccount(replyId, version, actorOf(ctx));
    await answer(ctx, result.ok ? "Released: another account posts it now, without checking X first." : result.message);
  });

  feature.callbackQuery(reviewCallbacks.edit.filter, async (ctx) => {
    const { replyId } = reviewCallbacks.edit.unpack(ctx.callbackQuery.data);
    const reply = await deps.review.find(replyId);
    if (!reply || reply.status !== "awaiting_approval") {
      return answer(ctx, reply ? `Already ${reply.status.replace("_", " ")}.` : "This reply no longer exists.");
    }
    await answer(ctx, "Send the new text, or a photo, GIF or video to attach, in this chat.");
    await ctx.conversation.exitAll();
    await ctx.conversation.enter(EDIT_DRAFT_CONVERSATION, replyId, actorOf(ctx));
  });

  feature.callbackQuery(reviewCallbacks.regenerate.filter, async (ctx) => {
    const { replyId, version } = reviewCallbacks.regenerate.unpack(ctx.callbackQuery.data);
    // The model can take seconds; answer the press first so Telegram's spinner stops.
    await answer(ctx, "Asking the model for a new draft…");
    try {
      const result = await deps.review.regenerate(replyId, version, actorOf(ctx));
      if (!result.ok) await ctx.reply(`Regenerate #${replyId}: ${result.message}`);
    } catch (error) {
      // Only the reply's id is at hand: its row names the post, the trace of its lines.
      const trace = (await deps.review.find(replyId).catch(() => undefined))?.postTweetId;
      ctx.logger.warn({ err: error, trace, replyId }, "regenerate failed");
      // An answer that came back unusable (refused for a new link, empty…) says why; anything else is an outage.
      const why = error instanceof AiError && error.kind === "bad_response" ? clip(error.message, 300) : "the AI provider did not answer";
      await ctx.reply(`Regenerate #${replyId} failed: ${why}. The draft is unchanged.`);
    }
  });
  return feature;
}
