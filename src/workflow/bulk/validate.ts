import type { Database } from "../../db/database.js";
import type { posts } from "../../db/schema.js";
import { X_MAX_WEIGHTED_LENGTH } from "../../text/weighted-length.js";
import type { XAccountRow, XAccounts } from "../accounts.js";
import type { Reply } from "../reply-states.js";
import { optedOutAmong } from "../watchlist.js";

/**
 * Why a draft of a bulk batch was left out: one closed vocabulary (stored on the batch item, counted in the
 * summary). Checked before anything changes, so one bad draft never stops the others.
 */
export const BATCH_SKIP_REASONS = ["post_deleted", "opted_out", "draft_too_long", "account_down", "expired", "already_decided"] as const;

/** One reason a draft was left out of a batch. */
export type BatchSkipReason = (typeof BATCH_SKIP_REASONS)[number];

/** How a skip reason reads in the confirmation and the summary. */
export const BATCH_SKIP_WORDS = {
  post_deleted: "post deleted or unknown",
  opted_out: "author opted out",
  draft_too_long: "draft too long",
  account_down: "its account is failed or disabled",
  expired: "draft expired",
  already_decided: "already decided",
} as const satisfies Record<BatchSkipReason, string>;

/** A draft with its post, as the batch checks it. */
export interface DraftWithPost {
  readonly reply: Reply;
  readonly post: typeof posts.$inferSelect;
}

/** What the checks need. */
export interface ValidateDeps {
  readonly db: Database;
  readonly accounts: XAccounts;
}

/** Posts X no longer shows, read through the first active account (one lookup per 100 posts); none when X cannot be read. */
async function deletedPosts(accounts: XAccounts, rows: readonly XAccountRow[], ids: readonly string[]): Promise<Set<string>> {
  const reader = rows.map((row) => (row.status === "active" ? accounts.get(row.id) : undefined)).find((account) => account);
  if (!reader || ids.length === 0) return new Set();
  try {
    const found = new Set((await reader.client.lookupPosts([...ids])).map((post) => post.id));
    return new Set(ids.filter((id) => !found.has(id)));
  } catch {
    // X unreadable now: nothing is skipped for it; the publisher still meets a deleted post and fails that reply alone.
    return new Set();
  }
}

/**
 * The drafts to leave out of a batch, with why: no longer awaiting approval, expired, too long for X, author opted
 * out, bound to an account that is not active, or (when `readX`) the post is gone from X.
 */
export async function findSkips(
  deps: ValidateDeps,
  drafts: readonly DraftWithPost[],
  now: Date,
  options: { readonly kind: "approve" | "reject"; readonly readX: boolean },
): Promise<Map<number, BatchSkipReason>> {
  const rows = await deps.accounts.rows();
  const statusOf = new Map(rows.map((row) => [row.id, row.status]));
  const optedOut = await optedOutAmong(deps.db, drafts.map(({ post }) => post.authorUsername));
  const gone = options.readX && options.kind === "approve" ? await deletedPosts(deps.accounts, rows, drafts.map(({ post }) => post.tweetId)) : new Set<string>();
  const skips = new Map<number, BatchSkipReason>();
  for (const { reply, post } of drafts) {
    const reason = skipReason(reply, post, now, { optedOut, gone, statusOf });
    // A rejection needs nothing from X or the account: only a draft no longer open is left out.
    if (reason && (options.kind === "approve" || reason === "already_decided" || reason === "expired")) skips.set(reply.id, reason);
  }
  return skips;
}

function skipReason(
  reply: Reply,
  post: DraftWithPost["post"],
  now: Date,
  facts: { optedOut: Set<string>; gone: Set<string>; statusOf: Map<number, string> },
): BatchSkipReason | undefined {
  if (reply.status !== "awaiting_approval") return "already_decided";
  if (reply.expiresAt <= now) return "expired";
  if (reply.tooLong || reply.weightedLength > X_MAX_WEIGHTED_LENGTH) return "draft_too_long";
  if (post.authorUsername && facts.optedOut.has(post.authorUsername.toLowerCase())) return "opted_out";
  if (reply.boundAccountId !== null && facts.statusOf.get(reply.boundAccountId) !== "active") return "account_down";
  if (facts.gone.has(post.tweetId)) return "post_deleted";
  return undefined;
}
