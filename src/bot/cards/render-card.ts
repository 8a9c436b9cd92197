import type { InlineKeyboardMarkup } from "grammy/types";
import type { ReplyFlag } from "../../db/schema.js";
import { X_MAX_WEIGHTED_LENGTH } from "../../text/weighted-length.js";
import type { CardView } from "../../workflow/card-sync.js";
import { formatLocalTime } from "../../text/time.js";
import { reviewCallbacks, type ReviewAction } from "../callback-data/review.js";
import { escapeHtml, htmlTextLength, TELEGRAM_TEXT_MAX } from "../../text/html.js";
import { clip } from "../../text/clip.js";
import { describeMedia, replyMediaOf } from "../../workflow/media/validate.js";

/** Long posts (X allows 25k characters) are cut on the card so it stays within Telegram's 4096. */
const POST_TEXT_MAX = 1_500;
/** What the post keeps at least when a long draft needs the room. */
const POST_TEXT_MIN = 280;
/** Other text from outside on a card (a failure reason, a search query) is cut so the card always has room. */
const FIELD_MAX = 300;

const SOURCE_LABEL = { mention: "mention", target: "target account", search: "search" } as const;

/** What each draft flag tells the admin to check (the setting named is what let the draft through). */
const FLAG_LINE: Record<ReplyFlag, string> = {
  new_link: "⚠️ <b>Links to something the post did not</b> (REPLY_ALLOW_LINKS): check the link before approving",
  new_mention: "⚠️ <b>Mentions someone the post did not</b> (REPLY_ALLOW_MENTIONS): check before approving",
};

/** On a card sent again after a send whose message id was lost (a crash between sendMessage and storing it). */
export const RESENT_LINE = "♻️ Sent again after an interrupted send (a restart or a lost answer): an earlier copy may be above; use the buttons here.";

/** What an earlier copy of a card becomes when pressed (its buttons are removed): the card below replaced it. */
export function supersededCardText(replyId: number): string {
  return `♻️ Superseded: reply #${replyId}'s card was sent again below; use that one.`;
}

/** Link to a post on X. */
export function postUrl(tweetId: string, username?: string | null): string {
  return username ? `https://x.com/${encodeURIComponent(username)}/status/${tweetId}` : `https://x.com/i/web/status/${tweetId}`;
}

/** Why only one account may publish the reply, for the line saying it waits for that account. */
const WAITING_WHY = {
  bound: "the author summoned it, and X lets only that account answer",
  unconfirmed: "its last attempt may have posted, and only that account can check X (the button posts it from another account without that check: it may then appear twice)",
} as const;

/** The line of an approved reply held to an account that is out of the pool, or "". */
function waitingLine(view: CardView): string {
  const { waitingFor } = view;
  if (!waitingFor) return "";
  return `\n⛔ <b>Waits for ${escapeHtml(waitingFor.account)}</b>, unavailable now: ${WAITING_WHY[waitingFor.why]}`;
}

/** The status line of a card: what happened to the reply, in words an admin reads at a glance. */
export function statusLine(view: CardView): string {
  const { reply } = view;
  switch (reply.status) {
    case "awaiting_approval": {
      // Set when the publisher sent an approved reply back (the post was edited on X).
      const back = reply.failureReason ? `\n↩️ ${escapeHtml(reply.failureReason)}` : "";
      return reply.tooLong
        ? `⚠️ <b>Too long — edit</b> (${reply.weightedLength}/${X_MAX_WEIGHTED_LENGTH})${back}`
        : `🟡 <b>Awaiting approval</b>${back}`;
    }
    case "approved": {
      const when = reply.scheduledAt ? formatLocalTime(reply.scheduledAt, view.timeZone, view.now) : "soon";
      const retry = reply.attemptCount > 0 && reply.failureReason ? `\n↻ retrying after: ${escapeHtml(clip(reply.failureReason, FIELD_MAX))}` : "";
      return `🕒 <b>Scheduled for ${escapeHtml(when)}</b>${retry}${waitingLine(view)}`;
    }
    case "publishing":
      return "📤 <b>Publishing…</b>";
    case "published":
      return reply.replyTweetId
        ? `✅ <b>Published</b>: <a href="${postUrl(reply.replyTweetId, view.accountUsername)}">view the reply</a>`
        : "✅ <b>Published</b>";
    case "failed":
      // Every failed publish is in the dead-letter queue: retried on its own or by an admin from /dlq.
      return `❌ <b>Failed</b>: ${escapeHtml(clip(reply.failureReason ?? "unknown reason", FIELD_MAX))}\n📮 /dlq to retry now or discard`;
    case "rejected":
      return "🚫 <b>Rejected</b>";
    case "expired":
      return "⌛ <b>Expired</b> — nobody decided in time";
    case "cancelled":
      return `🛑 <b>Cancelled</b>: ${escapeHtml(reply.failureReason ?? "the author opted out")} — nothing will be posted`;
  }
}

/** The card's HTML around a given post text and draft text (both shown escaped), with an optional last line. */
function cardHtml(view: CardView, postText: string, draftText: string, note: string | undefined): string {
  const { reply, post } = view;
  const author = post.authorUsername ? `@${post.authorUsername}` : `user ${post.authorId}`;
  const media = replyMediaOf(reply);
  const lines = [
    statusLine(view),
    view.paused && (reply.status === "approved" || reply.status === "awaiting_approval")
      ? "⏸ Bot paused: nothing is published until /resume"
      : undefined,
    "",
    `<b>${escapeHtml(author)}</b> · ${SOURCE_LABEL[post.source]} (${escapeHtml(clip(post.sourceDetail, FIELD_MAX))}) · <a href="${postUrl(post.tweetId, post.authorUsername)}">open post</a>`,
    `<blockquote>${escapeHtml(postText)}</blockquote>`,
    `✍️ Reply #${reply.id} (${reply.weightedLength}/${X_MAX_WEIGHTED_LENGTH}):`,
    `<blockquote>${escapeHtml(draftText)}</blockquote>`,
    media ? `📎 ${escapeHtml(describeMedia(media))}` : undefined,
    ...reply.flags.map((flag) => FLAG_LINE[flag]),
    reply.cardSends > 1 ? RESENT_LINE : undefined,
    note,
  ];
  return lines.filter((line) => line !== undefined).join("\n");
}

/**
 * The card's HTML: status, source, author and link, the post, the draft and its weighted length, the attachment.
 * It always fits Telegram's {@link TELEGRAM_TEXT_MAX} visible characters: when the whole draft
 * would not (a 4,000-character URL weighs 23 on X), the post, then the draft, are cut at a
 * grapheme boundary and a last line says so. The draft in the database stays whole; it is what
 * gets published.
 */
export function renderCard(view: CardView): string {
  const { reply, post } = view;
  const postShown = clip(post.text, POST_TEXT_MAX);
  const whole = cardHtml(view, postShown, reply.draft, undefined);
  if (htmlTextLength(whole) <= TELEGRAM_TEXT_MAX) return whole;
  const draftNote = `✂️ Draft shortened on this card: the full ${reply.draft.length.toLocaleString("en-US")} characters are kept and are what gets published.`;
  // The room for the post and the draft, measured with the longer of the two notes.
  const room = TELEGRAM_TEXT_MAX - htmlTextLength(cardHtml(view, "", "", draftNote));
  const postText = clip(post.text, Math.min(postShown.length, Math.max(POST_TEXT_MIN, room - reply.draft.length)));
  const draftText = clip(reply.draft, room - postText.length);
  const note = draftText === reply.draft ? "✂️ Post shortened on this card." : draftNote;
  return cardHtml(view, postText, draftText, note);
}

/**
 * Buttons for a card: the four review actions while it awaits approval; on an approved reply held by an
 * unconfirmed attempt of an account that is down, "post from another account anyway"; none otherwise.
 */
export function renderCardKeyboard(view: CardView): InlineKeyboardMarkup {
  const { reply } = view;
  const button = (text: string, action: ReviewAction) => ({
    text,
    callback_data: reviewCallbacks[action].pack({ replyId: reply.id, version: reply.version }),
  });
  if (reply.status === "approved" && view.waitingFor?.why === "unconfirmed") {
    return { inline_keyboard: [[button("⚠️ Post from another account anyway", "postAnyway")]] };
  }
  if (reply.status !== "awaiting_approval") return { inline_keyboard: [] };
  const first = reply.tooLong ? [button("🚫 Reject", "reject")] : [button("✅ Approve", "approve"), button("🚫 Reject", "reject")];
  return { inline_keyboard: [first, [button("✏️ Edit", "edit"), button("🔄 Regenerate", "regenerate")]] };
}
