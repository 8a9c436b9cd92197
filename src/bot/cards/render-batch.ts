import type { InlineKeyboardButton } from "grammy/types";
import { escapeHtml } from "../../text/html.js";
import { formatLocalTime } from "../../text/time.js";
import type { BatchPlan } from "../../workflow/bulk/plan.js";
import type { BatchView } from "../../workflow/bulk/progress.js";
import { countOf, type BatchOutcome, type BatchTally } from "../../workflow/bulk/tally.js";
import { BATCH_SKIP_WORDS } from "../../workflow/bulk/validate.js";
import { bulkCallbacks } from "../callback-data/bulk.js";

/** Skipped drafts named one by one in a confirmation; the rest are counted. */
const SKIPS_LISTED = 10;

const OUTCOME_WORDS = {
  published: "published",
  failed: "failed",
  waiting: "waiting",
  skipped: "skipped",
  cancelled: "cancelled",
  rejected: "rejected",
} as const satisfies Record<BatchOutcome, string>;

/** "1 min 12 s", "45 s", "2 h 5 min". */
export function formatElapsed(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${seconds % 60} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** The confirmation of a planned batch: what will happen, before anything changes, with Confirm and Cancel. */
export function renderPlan(plan: BatchPlan, timeZone: string, now: Date): { text: string; keyboard: InlineKeyboardButton[][] } {
  const verb = plan.kind === "approve" ? "Approve" : "Reject";
  const lines = [`<b>${verb} ${plan.count} ${plan.count === 1 ? "draft" : "drafts"}?</b> (batch #${plan.batchId})`];
  if (plan.kind === "approve" && plan.count > 0) {
    lines.push("", "<b>Accounts</b>");
    for (const { account, count } of plan.bound) lines.push(`• ${escapeHtml(account)}: ${count} bound (only it may reply)`);
    if (plan.free.count > 0) {
      const over = plan.free.accounts.length > 0 ? ` over ${escapeHtml(plan.free.accounts.join(", "))}` : " (no active account now: they wait)";
      lines.push(`• pool: ${plan.free.strategy}: ${plan.free.count} free${over}`);
    }
    if (plan.window) {
      lines.push(
        "",
        `<b>Publish</b>: earliest ${escapeHtml(formatLocalTime(plan.window.earliest, timeZone, now))}, latest about ${escapeHtml(formatLocalTime(plan.window.latest, timeZone, now))}`,
        "(delays, gaps, hourly and daily limits and quiet hours included)",
      );
    }
  }
  if (plan.skipped.length > 0) {
    lines.push("", `<b>Skipped ${plan.skipped.length}</b>`);
    for (const { replyId, reason } of plan.skipped.slice(0, SKIPS_LISTED)) lines.push(`• #${replyId}: ${BATCH_SKIP_WORDS[reason]}`);
    if (plan.skipped.length > SKIPS_LISTED) lines.push(`• … and ${plan.skipped.length - SKIPS_LISTED} more`);
  }
  lines.push("", "Nothing changes until you confirm.");
  const keyboard =
    plan.count > 0
      ? [[
          { text: "✅ Confirm", callback_data: bulkCallbacks.confirm.pack({ batchId: plan.batchId }) },
          { text: "✖️ Cancel", callback_data: bulkCallbacks.dismiss.pack({ batchId: plan.batchId }) },
        ]]
      : [[{ text: "✖️ Close", callback_data: bulkCallbacks.dismiss.pack({ batchId: plan.batchId }) }]];
  return { text: lines.join("\n"), keyboard };
}

/** The tally's lines of one outcome as "@a 3, @b 2" (with reasons where they differ). */
function breakdown(tally: BatchTally, outcome: BatchOutcome): string {
  return tally.lines
    .filter((line) => line.outcome === outcome)
    .map((line) => `${escapeHtml(line.account)} ${line.count}${line.reason ? ` (${escapeHtml(line.reason)})` : ""}`)
    .join(", ");
}

/** A batch's progress message while it runs, and its summary once done (stored, also shown in /queue). */
export function renderBatch(view: BatchView, timeZone: string, now: Date): { text: string; keyboard: InlineKeyboardButton[][] } {
  const { tally } = view;
  const done = view.status === "done";
  const took = view.startedAt && view.finishedAt ? ` in ${formatElapsed(view.finishedAt.getTime() - view.startedAt.getTime())}` : "";
  const verb = view.kind === "approve" ? "approve" : "reject";
  const head = done
    ? `<b>Batch #${view.id} done</b>${took}${view.cancelled ? " (cancelled)" : ""}: ${tally.total} drafts`
    : `<b>Batch #${view.id}</b>: ${verb} ${tally.total} drafts${view.startedAt ? `, started ${escapeHtml(formatLocalTime(view.startedAt, timeZone, now))}` : ""}${view.cancelled ? " (cancelling)" : ""}`;
  const lines = [head];
  for (const outcome of Object.keys(OUTCOME_WORDS) as BatchOutcome[]) {
    const count = countOf(tally, outcome);
    if (count === 0 && outcome !== "published") continue;
    const detail = breakdown(tally, outcome);
    lines.push(`• ${OUTCOME_WORDS[outcome]} ${count}${detail ? `: ${detail}` : ""}`);
  }
  const keyboard = done || view.cancelled ? [] : [[{ text: "✖️ Cancel the rest", callback_data: bulkCallbacks.cancel.pack({ batchId: view.id }) }]];
  return { text: lines.join("\n"), keyboard };
}
