import type { Conversation } from "@grammyjs/conversations";
import type { Context } from "grammy";
import type { Message } from "grammy/types";
import { stripInvisible } from "../../text/invisible.js";
import { describeMedia, replyMediaOf } from "../../workflow/media/validate.js";
import type { Review } from "../../workflow/review.js";
import type { BotContext } from "../context.js";
import { isCommand } from "./command-text.js";
import { receivedMediaOf, type ReceivedAs, type ReceivedMedia } from "../media/candidate.js";

/** Name under which the edit conversation is registered and entered. */
export const EDIT_DRAFT_CONVERSATION = "editDraft";

/** The messages the conversation takes: a new text, or an attachment as Telegram delivers it. */
const EDIT_ANSWERS = ["message:text", "message:photo", "message:animation", "message:video", "message:document"] as const;

/** A review action's outcome as the conversation stores it (its replay log is JSON, so no Reply with its Dates). */
type Outcome = { readonly ok: true } | { readonly ok: false; readonly message: string };

/**
 * An attachment's outcome: on success what the card now shows of it and where the card is (for the preview); on a
 * refusal whether the draft can still be edited (a refused file: send another; an expired draft: the edit is over).
 */
type AttachOutcome =
  | { readonly ok: true; readonly description: string; readonly cardMessageId: number | null; readonly trace?: string }
  | { readonly ok: false; readonly message: string; readonly editable: boolean };

/** What a preview is sent with: its caption, and the card it answers (when the card was drawn). */
interface PreviewOptions {
  readonly caption: string;
  readonly reply_parameters?: { readonly message_id: number; readonly allow_sending_without_reply: true };
}

/** The preview is sent the way the attachment came, so it looks the same in the chat. */
const SEND_PREVIEW: Readonly<Record<ReceivedAs, (ctx: Context, fileId: string, other: PreviewOptions) => Promise<Message>>> = {
  photo: (ctx, fileId, other) => ctx.replyWithPhoto(fileId, other),
  animation: (ctx, fileId, other) => ctx.replyWithAnimation(fileId, other),
  video: (ctx, fileId, other) => ctx.replyWithVideo(fileId, other),
  document: (ctx, fileId, other) => ctx.replyWithDocument(fileId, other),
};

/**
 * The Edit conversation: asks the admin who pressed Edit for the new text or an attachment and waits for their next
 * message in that chat (others' messages pass by). A text X would accept becomes the draft (without invisible
 * characters, so the card shows exactly what is posted); a too-long text gets the count and the limit and changes
 * nothing. A photo, GIF, video or file is checked against X's and Telegram's limits: a refusal names the limit and
 * the conversation waits on; an accepted one is attached (its caption, if any, becomes the text), the card is redrawn
 * and the file is sent back as a reply to the card. /nomedia removes the attachment; /cancel ends the edit. State
 * lives in the database, so a restart in between is harmless.
 */
export function createEditDraftConversation(review: Review) {
  return async function editDraft(conversation: Conversation<BotContext, Context>, ctx: Context, replyId: number, adminId: number) {
    // Set once an attachment went on while its caption was refused: /cancel then keeps that attachment.
    let attachedOnly = false;
    /** Called out-of-replay: a review action reduced to what the conversation needs. */
    const act = (run: () => ReturnType<Review["edit"]>): Promise<Outcome> =>
      conversation.external(async () => {
        const result = await run();
        return result.ok ? { ok: true } : { ok: false, message: result.message };
      });

    /**
     * Attaches the media and, when it came with one, makes its caption the text; answers with both and sends the
     * preview. Resolves with whether the edit is over.
     */
    async function attach(answer: Context, received: ReceivedMedia, caption: string): Promise<boolean> {
      const outcome = await conversation.external(async (): Promise<AttachOutcome> => {
        const result = await review.attachMedia(replyId, received.candidate, adminId);
        if (!result.ok) {
          const reply = await review.find(replyId);
          const editable = reply?.status === "awaiting_approval" && reply.expiresAt.getTime() > Date.now();
          return { ok: false, message: result.message, editable };
        }
        const media = replyMediaOf(result.reply);
        return { ok: true, description: media ? describeMedia(media) : "attachment", cardMessageId: result.reply.cardMessageId, trace: result.reply.postTweetId };
      });
      if (!outcome.ok) {
        await answer.reply(outcome.message);
        return !outcome.editable;
      }
      // Attached before the caption is used: a refused file then changes nothing, even when it came with a caption.
      const textOutcome = caption === "" ? undefined : await act(() => review.edit(replyId, caption, adminId));
      const attached = `📎 Attached to reply #${replyId}: ${outcome.description}`;
      if (textOutcome === undefined) await answer.reply(`${attached}. Approve it on its card.`);
      else if (textOutcome.ok) await answer.reply(`${attached}, and its caption is now the text. Approve it on its card.`);
      else await answer.reply(`${attached}. The caption did not become the text: ${textOutcome.message}`);
      await sendPreview(answer, received, outcome.cardMessageId, outcome.trace);
      if (textOutcome?.ok === false && textOutcome.message.startsWith("Too long")) {
        attachedOnly = true;
        return false;
      }
      return true;
    }

    /** Sends the attachment back under the card; a preview that fails is logged and changes nothing. */
    async function sendPreview(answer: Context, received: ReceivedMedia, cardMessageId: number | null, trace?: string): Promise<void> {
      const options: PreviewOptions = {
        caption: `📎 Attachment of reply #${replyId}`,
        ...(cardMessageId === null ? {} : { reply_parameters: { message_id: cardMessageId, allow_sending_without_reply: true } }),
      };
      try {
        await SEND_PREVIEW[received.as](answer, received.candidate.fileId, options);
      } catch (error) {
        // grammY's errors name the method, never the URL with the token.
        const reason = error instanceof Error ? error.message : String(error);
        await conversation.external((outside) => outside.logger.warn({ trace, replyId, reason }, "attachment preview not sent"));
      }
    }

    await ctx.reply(
      `✏️ Send the new text for reply #${replyId}, a photo, GIF or video to attach, /nomedia to remove the attachment, or /cancel.`,
    );
    for (;;) {
      // `next`: what the edit does not take (another admin's message, a button, a sticker) goes on to the other
      // handlers; the plugin's default would swallow it, leaving a button press unanswered while an edit waits.
      const answer = await conversation.waitFor([...EDIT_ANSWERS], { next: true }).andFrom(adminId, { next: true });
      const received = receivedMediaOf(answer.message);
      if (received) {
        if (await attach(answer, received, stripInvisible(answer.message.caption ?? "").trim())) return;
        continue;
      }
      // What the admin sees decides: a "/cancel" with a zero-width space in front is still /cancel.
      const text = stripInvisible(answer.message.text ?? "").trim();
      if (isCommand(text, "cancel")) {
        await answer.reply(
          attachedOnly ? `Edit finished; reply #${replyId} keeps its new attachment, its text is unchanged.` : `Edit cancelled; reply #${replyId} is unchanged.`,
        );
        return;
      }
      if (isCommand(text, "nomedia")) {
        const result = await act(() => review.removeMedia(replyId, adminId));
        await answer.reply(result.ok ? `Attachment removed; reply #${replyId} is posted as text only.` : result.message);
        return;
      }
      if (text.startsWith("/")) {
        await answer.reply("Finish the edit first: send the new text, a photo, GIF or video, /nomedia, or /cancel.");
        continue;
      }
      const result = await act(() => review.edit(replyId, text, adminId));
      if (result.ok) {
        await answer.reply(`✅ Reply #${replyId} updated; approve it on its card.`);
        return;
      }
      await answer.reply(result.message);
      if (!result.message.startsWith("Too long")) return;
    }
  };
}
