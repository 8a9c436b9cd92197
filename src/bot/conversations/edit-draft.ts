import type { Conversation } from "@grammyjs/conversations";
import type { Context } from "grammy";
import { stripInvisible } from "../../text/invisible.js";
import type { Review } from "../../workflow/review.js";
import type { BotContext } from "../context.js";

/** Name under which the edit conversation is registered and entered. */
export const EDIT_DRAFT_CONVERSATION = "editDraft";

/**
 * The Edit conversation: asks the admin who pressed Edit for the new text and waits for their next
 * message in that chat (others' messages pass by). A text X would accept becomes the draft (without invisible
 * characters, so the card shows exactly what is posted) and the
 * card is redrawn; a too-long text gets the count and the limit and changes nothing; /cancel
 * leaves the draft as it was. State lives in the database, so a restart in between is harmless.
 */
export function createEditDraftConversation(review: Review) {
  return async function editDraft(conversation: Conversation<BotContext, Context>, ctx: Context, replyId: number, adminId: number) {
    await ctx.reply(`✏️ Send the new text for reply #${replyId}, or /cancel to keep the draft.`);
    for (;;) {
      const answer = await conversation.waitFor("message:text").andFrom(adminId);
      // What the admin sees decides: a "/cancel" with a zero-width space in front is still /cancel.
      const text = stripInvisible(answer.message.text).trim();
      if (/^\/cancel(@\w+)?$/i.test(text)) {
        await answer.reply(`Edit cancelled; reply #${replyId} is unchanged.`);
        return;
      }
      if (text.startsWith("/")) {
        await answer.reply("Finish the edit first: send the new text, or /cancel.");
        continue;
      }
      const result = await conversation.external(() => review.edit(replyId, text, adminId));
      if (result.ok) {
        await answer.reply(`✅ Reply #${replyId} updated; approve it on its card.`);
        return;
      }
      await answer.reply(result.message);
      if (!result.message.startsWith("Too long")) return;
    }
  };
}
