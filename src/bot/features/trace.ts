import { Composer } from "grammy";
import { clipHtml } from "../../text/clip.js";
import { escapeHtml, htmlTextLength, TELEGRAM_TEXT_MAX } from "../../text/html.js";
import { parsePostRef } from "../../text/post-ref.js";
import { formatLocalClock } from "../../text/time.js";
import type { PostTimeline, TimelineStep } from "../../workflow/trace.js";
import type { BotContext } from "../context.js";
import type { FeatureServices } from "./services.js";

/** The trace command, for /help and the Telegram command menu. */
export const TRACE_COMMANDS = [
  { command: "trace", description: "The whole story of one post: /trace <post id or x.com link>" },
] as const satisfies readonly { command: string; description: string }[];

/** The answer to a missing or unreadable argument: the forms /trace takes. */
export const TRACE_USAGE =
  "Usage: /trace <post id> or /trace <link>, e.g. /trace 1234567890 or /trace https://x.com/alice/status/1234567890 (twitter.com links too).";

/** What the trace feature needs. */
export type TraceFeatureDependencies = Pick<FeatureServices, "trace" | "now">;

/** How much of a free text (the post, a reason, an error) one line repeats. */
const FIELD_MAX = 300;

/** The step's line, in HTML, without its time. */
function describeStep(step: TimelineStep, timeline: PostTimeline, when: (at: Date) => string): string {
  switch (step.kind) {
    case "gate":
      return `🚦 gatekeeper: score ${step.score ?? "none"}${step.reason ? ` — ${clipHtml(step.reason, FIELD_MAX)}` : ""}`;
    case "attempt": {
      const finished = step.finishedAt ? `, finished ${escapeHtml(when(step.finishedAt))}` : "";
      const error = step.error ? ` — ${clipHtml(step.error, FIELD_MAX)}` : "";
      return `📤 publish attempt from ${escapeHtml(step.accountLabel ?? "an unknown account")}: ${escapeHtml(step.outcome ?? "in flight")}${finished}${error}`;
    }
    case "dead_letter": {
      const retries = `${step.retryCount} ${step.retryCount === 1 ? "retry" : "retries"}`;
      const next = step.nextRetryAt ? `, next retry ${escapeHtml(when(step.nextRetryAt))}` : "";
      return `🪦 dead letter #${step.id}: ${escapeHtml(step.status)}, ${retries}${next} — ${escapeHtml(step.errorType)}: ${clipHtml(step.error, FIELD_MAX)}`;
    }
    case "event":
      return describeEvent(step, timeline);
  }
}

/** A workflow event's line: what the event row says, with what the post and reply rows add to it. */
function describeEvent(step: Extract<TimelineStep, { kind: "event" }>, timeline: PostTimeline): string {
  const by = step.actor === null ? "" : ` by ${step.actor}`;
  const { post, reply } = timeline;
  switch (step.event) {
    case "discovered":
      return `🔭 discovered via ${escapeHtml(post.source)} (${escapeHtml(post.sourceDetail)})`;
    case "skipped":
      return `⏭ skipped: ${escapeHtml(post.skipReason ?? "no reason recorded")}`;
    case "drafted":
      return `✍️ drafted${reply ? ` reply #${reply.id}` : ""}${reply?.model ? ` with ${escapeHtml(reply.model)}` : ""}`;
    case "published":
      return `✅ published${reply?.url ? ` ${escapeHtml(reply.url)}` : ""}`;
    default:
      return `• ${escapeHtml(step.event.replaceAll("_", " "))}${by}`;
  }
}

/** The summary lines above the steps: the post, and the reply as it stands. */
function summary(timeline: PostTimeline, when: (at: Date) => string): string[] {
  const { post, reply } = timeline;
  const author = post.authorUsername ? `@${post.authorUsername}` : `user ${post.authorId}`;
  const lines = [
    `🔎 <b>Trace of post ${escapeHtml(post.tweetId)}</b>`,
    `${escapeHtml(author)}: ${clipHtml(post.text, FIELD_MAX)}`,
    `Post: ${escapeHtml(post.state.replace("_", " "))}${post.skipReason ? ` (${escapeHtml(post.skipReason)})` : ""}, for ${escapeHtml(post.accountLabel ?? "no account")}`,
  ];
  if (!reply) return [...lines, "No reply drafted."];
  lines.push(`Reply #${reply.id}: ${escapeHtml(reply.status.replace("_", " "))}, drafted ${escapeHtml(when(reply.createdAt))}${reply.model ? ` with ${escapeHtml(reply.model)}` : ""}`);
  lines.push(reply.cardMessageId === null ? "Card: not sent" : `Card: message ${reply.cardMessageId}`);
  if (reply.decidedAt) lines.push(`Decided by ${reply.decidedBy ?? "unknown"} at ${escapeHtml(when(reply.decidedAt))}`);
  if (reply.scheduledAt) lines.push(`Scheduled for ${escapeHtml(when(reply.scheduledAt))}`);
  if (reply.failureReason) lines.push(`Failure: ${clipHtml(reply.failureReason, FIELD_MAX)}`);
  if (reply.url) lines.push(`Published: ${escapeHtml(reply.url)}`);
  return lines;
}

/**
 * The timeline as one Telegram HTML message, times in `timeZone`: the summary, then one line per step, oldest
 * first. Steps that would take it past Telegram's limit are left off and counted.
 */
export function renderTimeline(timeline: PostTimeline, timeZone: string, now: Date): string {
  const when = (at: Date): string => formatLocalClock(at, timeZone, now);
  const head = [...summary(timeline, when), "", "<b>Timeline</b>"].join("\n");
  const lines = timeline.steps.map((step) => `${escapeHtml(when(step.at))} ${describeStep(step, timeline, when)}`);
  let text = head;
  for (const [index, line] of lines.entries()) {
    const left = lines.length - index;
    const more = `\n… ${left} more ${left === 1 ? "step" : "steps"} not shown`;
    // Keep room for the "more" line unless this is the last step.
    const room = index === lines.length - 1 ? TELEGRAM_TEXT_MAX : TELEGRAM_TEXT_MAX - htmlTextLength(more);
    if (htmlTextLength(`${text}\n${line}`) > room) return `${text}${more}`;
    text = `${text}\n${line}`;
  }
  return lines.length === 0 ? `${text}\nNo steps recorded.` : text;
}

/** /trace <post id or link>: everything that happened to one post, for an admin asking "what happened to it?". */
export function createTraceFeature(deps: TraceFeatureDependencies): Composer<BotContext> {
  const now = deps.now ?? (() => new Date());
  const feature = new Composer<BotContext>();
  feature.command("trace", async (ctx) => {
    const postId = parsePostRef(ctx.match);
    if (postId === undefined) {
      await ctx.reply(TRACE_USAGE, { link_preview_options: { is_disabled: true } });
      return;
    }
    const timeline = await deps.trace.timeline(postId);
    if (!timeline) {
      await ctx.reply(`No post ${postId} is known.`);
      return;
    }
    await ctx.reply(renderTimeline(timeline, ctx.config.timeZone, now()), { parse_mode: "HTML", link_preview_options: { is_disabled: true } });
  });
  return feature;
}
