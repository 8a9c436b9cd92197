import type { InlineKeyboardMarkup } from "grammy/types";
import type { ReplyFlag } from "../../db/schema.js";
import { X_MAX_WEIGHTED_LENGTH } from "../../text/weighted-length.js";
import type { CardView } from "../../workflow/card-sync.js";
import { formatLocalTime } from "../../text/time.js";
import { reviewCallbacks, type ReviewAction } from "../callback-data/review.js";
import { escapeHtml } from "../../text/html.js";
import { clip } from "../../text/clip.js";

/** Long posts (X allows 25k characters) are cut on the card so it stays within Telegram's 4096. */
const POST_TEXT_MAX = 1_500;

const SOURCE_LABEL = { mention: "mention", target: "target account", search: "search" } as const;

/** What each draft flag tells the admin to check (the setting named is what let the draft through). */
const FLAG_LINE: Record<ReplyFlag, string> = {
  new_link: "⚠️ <b>Links to something the post did not</b> (REPLY_ALLOW_LINKS): check the link before approving",
  new_mention: "⚠️ <b>Mentions someone the post did not</b> (REPLY_ALLOW_MENTIONS): check before approving",
};

/** Link to a post on X. */
export function postUrl(tweetId: string, username?: string | null): string {
  return username ? `https://x.com/${encodeURIComponent(username)}/status/${tweetId}` : `https://x.com/i/web/status/${tweetId}`;
}

/** The status line of a card: what happened to the reply, in words an admin reads at a glance. */
export function statusLine(view: CardView): string {
  const { reply } = view;
  switch (reply.status) {
    case "awaiting_approval":
      return reply.tooLong
        ? `⚠️ <b>Too long — edit</b> (${reply.weightedLength}/${X_MAX_WEIGHTED_LENGTH})`
        : "🟡 <b>Awaiting approval</b>";
    case "approved": {
      const when = reply.scheduledAt ? formatLocalTime(reply.scheduledAt, view.timeZone, view.now) : "soon";
      const retry = reply.attemptCount > 0 && reply.failureReason ? `\n↻ retrying after: ${escapeHtml(reply.failureReason)}` : "";
      return `🕒 <b>Scheduled for ${escapeHtml(when)}</b>${retry}`;
    }
    case "publishing":
      return "📤 <b>Publishing…</b>";
    case "published":
      return reply.replyTweetId
        ? `✅ <b>Published</b>: <a href="${postUrl(reply.replyTweetId, view.accountUsername)}">view the reply</a>`
        : "✅ <b>Published</b>";
    case "failed":
      // Every failed publish is in the dead-letter queue: retried on its own or by an admin from /dlq.
      return `❌ <b>Failed</b>: ${escapeHtml(reply.failureReason ?? "unknown reason")}\n📮 /dlq to retry now or discard`;
    case "rejected":
      return "🚫 <b>Rejected</b>";
    case "expired":
      return "⌛ <b>Expired</b> — nobody decided in time";
  }
}

/** The card's HTML: status, source, author and link, the post, the draft and its weighted length. */
export function renderCard(view: CardView): string {
  const { reply, post } = view;
  const author = post.authorUsername ? `@${post.authorUsername}` : `user ${post.authorId}`;
  const lines = [
    statusLine(view),
    view.paused && (reply.status === "approved" || reply.status === "awaiting_approval")
      ? "⏸ Bot paused: nothing is published until /resume"
      : undefined,
    "",
    `<b>${escapeHtml(author)}</b> · ${SOURCE_LABEL[post.source]} (${escapeHtml(post.sourceDetail)}) · <a href="${postUrl(post.tweetId, post.authorUsername)}">open post</a>`,
    `<blockquote>${escapeHtml(clip(post.text, POST_TEXT_MAX))}</blockquote>`,
    `✍️ Reply #${reply.id} (${reply.weightedLength}/${X_MAX_WEIGHTED_LENGTH}):`,
    `<blockquote>${escapeHtml(reply.draft)}</blockquote>`,
    ...reply.flags.map((flag) => FLAG_LINE[flag]),
  ];
  return lines.filter((line) => line !== undefined).join("\n");
}

/** Buttons for a card: the four review actions while it awaits approval, none after. */
export function renderCardKeyboard(view: CardView): InlineKeyboardMarkup {
  const { reply } = view;
  if (reply.status !== "awaiting_approval") return { inline_keyboard: [] };
  const button = (text: string, action: ReviewAction) => ({
    text,
    callback_data: reviewCallbacks[action].pack({ replyId: reply.id, version: reply.version }),
  });
  const first = reply.tooLong ? [button("🚫 Reject", "reject")] : [button("✅ Approve", "approve"), button("🚫 Reject", "reject")];
  return { inline_keyboard: [first, [button("✏️ Edit", "edit"), button("🔄 Regenerate", "regenerate")]] };
}
