import { and, asc, count, eq, inArray } from "drizzle-orm";
import { Composer } from "grammy";
import type { InlineKeyboardButton } from "grammy/types";
import type { Database } from "../../db/database.js";
import { posts, replies } from "../../db/schema.js";
import { formatLocalTime } from "../../workflow/schedule.js";
import { decodeCallback, encodeCallback } from "../callback-data/index.js";
import type { BotContext } from "../context.js";
import { escapeHtml } from "../../text/html.js";

/** Commands of this feature, for /help and the Telegram menu. */
export const QUEUE_COMMANDS = [{ command: "queue", description: "Drafts awaiting approval and scheduled replies" }] as const satisfies readonly {
  command: string;
  description: string;
}[];

/** Replies per page of /queue. */
export const QUEUE_PAGE_SIZE = 8;

const OPEN_STATUSES = ["awaiting_approval", "approved", "publishing"] as const;
const STATUS_ICON = { awaiting_approval: "🟡", approved: "🕒", publishing: "📤" } as const;

function shorten(text: string, max: number): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

/** Renders one page of the queue: text and pagination buttons. */
export async function renderQueuePage(
  db: Database,
  page: number,
  timeZone: string,
  now: Date = new Date(),
): Promise<{ text: string; buttons: InlineKeyboardButton[] }> {
  const [total] = await db.select({ n: count() }).from(replies).where(inArray(replies.status, [...OPEN_STATUSES]));
  const [unanswerable] = await db
    .select({ n: count() })
    .from(posts)
    .where(and(eq(posts.state, "skipped"), eq(posts.skipReason, "not_summoned")));
  const pages = Math.max(1, Math.ceil((total?.n ?? 0) / QUEUE_PAGE_SIZE));
  const current = Math.min(Math.max(0, page), pages - 1);
  const rows = await db
    .select({ reply: replies, post: posts })
    .from(replies)
    .innerJoin(posts, eq(posts.tweetId, replies.postTweetId))
    .where(inArray(replies.status, [...OPEN_STATUSES]))
    .orderBy(asc(replies.status), asc(replies.scheduledAt), asc(replies.id))
    .limit(QUEUE_PAGE_SIZE)
    .offset(current * QUEUE_PAGE_SIZE);
  const lines = rows.map(({ reply, post }) => {
    const status = reply.status as (typeof OPEN_STATUSES)[number];
    const when =
      status === "approved" && reply.scheduledAt ? ` · ${escapeHtml(formatLocalTime(reply.scheduledAt, timeZone, now))}` : "";
    const author = post.authorUsername ? `@${post.authorUsername}` : post.authorId;
    return `${STATUS_ICON[status]} #${reply.id} ${escapeHtml(author)}${when}\n   ${escapeHtml(shorten(reply.draft, 80))}`;
  });
  const header = `<b>Queue</b>: ${total?.n ?? 0} open (page ${current + 1}/${pages})`;
  const footer = (unanswerable?.n ?? 0) > 0 ? `\n🚷 ${unanswerable?.n} posts not answerable (author did not mention us)` : "";
  const buttons: InlineKeyboardButton[] = [];
  if (current > 0) buttons.push({ text: "◀️ Newer", callback_data: encodeCallback({ kind: "queue", page: current - 1 }) });
  if (current < pages - 1) buttons.push({ text: "Older ▶️", callback_data: encodeCallback({ kind: "queue", page: current + 1 }) });
  const body = lines.length > 0 ? lines.join("\n") : "Nothing awaiting approval or scheduled.";
  return { text: `${header}\n\n${body}${footer}`, buttons };
}

/** /queue and its page buttons. */
export function createQueueFeature(db: Database): Composer<BotContext> {
  const feature = new Composer<BotContext>();
  feature.command("queue", async (ctx) => {
    const { text, buttons } = await renderQueuePage(db, 0, ctx.config.timeZone);
    await ctx.reply(text, { parse_mode: "HTML", reply_markup: { inline_keyboard: buttons.length ? [buttons] : [] } });
  });
  feature.on("callback_query:data", async (ctx, next) => {
    const action = decodeCallback(ctx.callbackQuery.data);
    if (action?.kind !== "queue") return next();
    const { text, buttons } = await renderQueuePage(db, action.page, ctx.config.timeZone);
    await ctx.answerCallbackQuery();
    await ctx
      .editMessageText(text, { parse_mode: "HTML", reply_markup: { inline_keyboard: buttons.length ? [buttons] : [] } })
      .catch((error: unknown) => ctx.logger.debug({ err: error }, "queue page unchanged"));
  });
  return feature;
}
