import { and, count, eq, inArray } from "drizzle-orm";
import type { Database } from "../db/database.js";
import type { XRateLimit } from "../x/types.js";
import { replies, xAccounts } from "../db/schema.js";
import type { XAccount, XAccountRow, XAccounts } from "./accounts.js";
import { postsSince } from "./publish/pacing.js";
import type { SettingsStore } from "./settings.js";

const HOUR_MS = 3_600_000;

/** The reply statuses whose replies `/accounts remove` asks about: not yet on their way to X. */
export const BOUND_WAITING_STATUSES = ["awaiting_approval", "approved"] as const;

/** One account as `/accounts` lists it. */
export interface AccountLine {
  readonly id: number;
  readonly label: string;
  readonly username: string | null;
  readonly status: XAccountRow["status"];
  readonly failureReason: string | null;
  readonly origin: XAccountRow["origin"];
  readonly authKind: XAccountRow["authKind"];
  readonly postsLastHour: number;
  readonly postsLastDay: number;
  /** Its own limit, else the settings' MAX_POSTS_PER_HOUR / MAX_POSTS_PER_DAY. */
  readonly maxPerHour: number;
  readonly maxPerDay: number;
  /** When X's rate-limit window lets it post again; undefined when it is not held back. */
  readonly rateLimitedUntil: Date | undefined;
  /** X's POST window as this process last saw it (its client's memory), while it has not reset; else undefined. */
  readonly liveWindow: XRateLimit | undefined;
  readonly lastVerifiedAt: Date | null;
}

/** An account `/accounts remove` is about to remove: who it is and how many waiting replies only it may publish. */
export interface RemovalCandidate {
  readonly id: number;
  readonly label: string;
  readonly username: string | null;
  readonly origin: XAccountRow["origin"];
  /** Awaiting-approval and approved replies bound to it (a post that summoned it). */
  readonly boundReplies: number;
}

/** The rate-limit window that holds posting back, by X's endpoint key. */
const POST_WINDOW = "POST /2/tweets";

/** The account's POST window from its client's memory, unless it has reset since (then X would answer afresh). */
function liveWindowOf(account: XAccount, at: Date): XRateLimit | undefined {
  const window = account.client.rateLimits().get(POST_WINDOW);
  return window && window.resetAt > at ? window : undefined;
}

/** Reads the X accounts for `/accounts`: the pool's rows with their load and limits. */
export function createAccountsView(deps: {
  readonly db: Database;
  readonly accounts: XAccounts;
  readonly settings: Pick<SettingsStore, "current">;
  readonly now?: () => Date;
}) {
  const { db, accounts } = deps;
  const now = deps.now ?? (() => new Date());

  async function boundReplies(accountId: number): Promise<number> {
    const [row] = await db
      .select({ n: count() })
      .from(replies)
      .where(and(eq(replies.boundAccountId, accountId), inArray(replies.status, [...BOUND_WAITING_STATUSES])));
    return row?.n ?? 0;
  }

  return {
    /** Every account of the pool (disabled and failed ones too), in the registry's order. */
    async list(): Promise<AccountLine[]> {
      const settings = await deps.settings.current();
      const rows = new Map((await accounts.rows()).map((row) => [row.id, row]));
      const at = now();
      const lines: AccountLine[] = [];
      for (const account of accounts.all()) {
        const row = rows.get(account.id);
        if (!row) continue;
        lines.push({
          id: row.id,
          label: row.label,
          username: row.username,
          status: row.status,
          failureReason: row.failureReason,
          origin: row.origin,
          authKind: row.authKind,
          postsLastHour: await postsSince(db, row.id, new Date(at.getTime() - HOUR_MS)),
          postsLastDay: await postsSince(db, row.id, new Date(at.getTime() - 24 * HOUR_MS)),
          maxPerHour: row.maxPostsPerHour ?? settings.maxPostsPerHour,
          maxPerDay: row.maxPostsPerDay ?? settings.maxPostsPerDay,
          rateLimitedUntil: row.rateLimitedUntil && row.rateLimitedUntil > at ? row.rateLimitedUntil : undefined,
          liveWindow: liveWindowOf(account, at),
          lastVerifiedAt: row.lastVerifiedAt,
        });
      }
      return lines;
    },

    /** Whether an account (of the pool or not, a removed one's freed label aside) has this label. */
    async labelTaken(label: string): Promise<boolean> {
      const [row] = await db.select({ id: xAccounts.id }).from(xAccounts).where(eq(xAccounts.label, label));
      return row !== undefined;
    },

    /** The account of the pool labelled `label`, with its bound waiting replies; undefined when there is none. */
    async removalCandidate(label: string): Promise<RemovalCandidate | undefined> {
      const row = (await accounts.rows()).find((candidate) => candidate.label === label);
      if (!row) return undefined;
      return { id: row.id, label: row.label, username: row.username, origin: row.origin, boundReplies: await boundReplies(row.id) };
    },

    /** The account of the pool with this id, as {@link removalCandidate} answers it. */
    async removalCandidateById(accountId: number): Promise<RemovalCandidate | undefined> {
      const row = (await accounts.rows()).find((candidate) => candidate.id === accountId);
      if (!row) return undefined;
      return { id: row.id, label: row.label, username: row.username, origin: row.origin, boundReplies: await boundReplies(row.id) };
    },
  };
}

/** The `/accounts` read service. */
export type AccountsView = ReturnType<typeof createAccountsView>;
