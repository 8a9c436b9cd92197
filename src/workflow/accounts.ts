import { and, eq, ne, sql } from "drizzle-orm";
import type { Database } from "../db/database.js";
import { xAccounts } from "../db/schema.js";
import type { XAccountClient } from "../x/types.js";
import { countingSuccesses } from "./account-activity.js";
import type { NoticeSink } from "./notices.js";

/** An X account as stored. */
export type XAccountRow = typeof xAccounts.$inferSelect;

/** An X account the bot can act as: its row and its API client. */
export interface XAccount {
  readonly id: number;
  readonly label: string;
  readonly client: XAccountClient;
}

/**
 * The X accounts of the pool: the env ones (rows created at boot by label, secrets read from the environment) and
 * the stored ones (rows with sealed credentials, see account-store.ts). Each account's X identity (user id,
 * username) is resolved through `users/me` and stored; its `status` says whether it is in the pool.
 */
export class XAccounts {
  private constructor(
    private readonly db: Database,
    private accounts: readonly XAccount[],
    private readonly notify: NoticeSink,
  ) {}

  private readonly listeners: ((change: { readonly added?: XAccount; readonly removed?: XAccount }) => void)[] = [];
  /** Calls X answered successfully, per account, since the process started. */
  private readonly successCounts = new Map<number, number>();

  /** The account with its client counting X's successful answers (see {@link successes}). */
  private observed(account: XAccount): XAccount {
    const count = () => this.successCounts.set(account.id, (this.successCounts.get(account.id) ?? 0) + 1);
    return { ...account, client: countingSuccesses(account.client, count) };
  }

  /** Makes sure every account has a row (an env account gets one; a stored one has it already); returns the registry. */
  static async register(
    db: Database,
    clients: ReadonlyMap<string, XAccountClient>,
    notify: NoticeSink = () => undefined,
  ): Promise<XAccounts> {
    const accounts: XAccount[] = [];
    for (const [label, client] of clients) {
      await db.insert(xAccounts).values({ label }).onConflictDoNothing();
      const [row] = await db.select().from(xAccounts).where(eq(xAccounts.label, label));
      if (!row) throw new Error(`X account ${label} could not be registered`);
      accounts.push({ id: row.id, label, client });
    }
    const registry = new XAccounts(db, [], notify);
    registry.accounts = accounts.map((account) => registry.observed(account));
    return registry;
  }

  /** Every account of the registry (disabled and failed ones too), env ones first in configuration order. */
  all(): readonly XAccount[] {
    return this.accounts;
  }

  /** How many calls X answered successfully for the account so far (a post, a read, users/me): grows while it works. */
  successes(accountId: number): number {
    return this.successCounts.get(accountId) ?? 0;
  }

  /** The account with this id, if it is in the registry. */
  get(id: number): XAccount | undefined {
    return this.accounts.find((account) => account.id === id);
  }

  /** The rows of the registry's accounts. */
  async rows(): Promise<XAccountRow[]> {
    const rows = await this.db.select().from(xAccounts);
    return rows.filter((row) => this.get(row.id) !== undefined);
  }

  /** The account's X user id, asking X (users/me) the first time. */
  async identity(account: XAccount): Promise<{ userId: string; username: string }> {
    const [row] = await this.db.select().from(xAccounts).where(eq(xAccounts.id, account.id));
    if (row?.xUserId && row.username) return { userId: row.xUserId, username: row.username };
    const me = await account.client.me();
    await this.db
      .update(xAccounts)
      .set({ xUserId: me.id, username: me.username })
      .where(eq(xAccounts.id, account.id));
    return { userId: me.id, username: me.username };
  }

  /**
   * Puts the account back in the pool (`active`) or takes it out (`failed`, with the reason). A disabled account is
   * left as it is. Raises `session_recovered` / `session_failed` when the status changes (so once per failure and
   * once per recovery, whichever replica or path saw it), unless `quiet` (the boot recovery reports all accounts at
   * once). Resolves true when the status changed.
   */
  async setStatus(accountId: number, status: "active" | "failed", reason?: string, options: { quiet?: boolean } = {}): Promise<boolean> {
    const failureReason = reason ?? "X rejected the credentials";
    const changed = await this.db
      .update(xAccounts)
      .set(status === "active" ? { status, failureReason: null, failedAt: null } : { status, failureReason, failedAt: sql`now()` })
      .where(and(eq(xAccounts.id, accountId), ne(xAccounts.status, status), ne(xAccounts.status, "disabled")))
      .returning({ id: xAccounts.id });
    const label = this.get(accountId)?.label;
    if (changed.length > 0 && label !== undefined && !options.quiet) {
      this.notify(status === "active" ? { kind: "session_recovered", account: label } : { kind: "session_failed", account: label, reason: failureReason });
    }
    return changed.length > 0;
  }

  /**
   * Records that X accepted the account's credentials now (users/me answered): active, identity refreshed. Quiet
   * by default (the boot report covers it); `quiet: false` raises `session_recovered` when it was failed.
   * Resolves true when the account came back into the pool.
   */
  async markVerified(accountId: number, me: { id: string; username: string }, options: { quiet?: boolean } = {}): Promise<boolean> {
    await this.db
      .update(xAccounts)
      .set({ xUserId: me.id, username: me.username, lastVerifiedAt: sql`now()` })
      .where(eq(xAccounts.id, accountId));
    return this.setStatus(accountId, "active", undefined, { quiet: options.quiet ?? true });
  }

  /** Calls `listener` whenever an account joins (stored) or leaves (removed) the registry after boot. */
  onChange(listener: (change: { readonly added?: XAccount; readonly removed?: XAccount }) => void): void {
    this.listeners.push(listener);
  }

  /** Adds an account to the pool (one just stored); its row exists. */
  add(account: XAccount): void {
    const added = this.observed(account);
    this.accounts = [...this.accounts.filter((known) => known.id !== account.id), added];
    for (const listener of this.listeners) listener({ added });
  }

  /** Takes the account out of the registry (its row was deleted). */
  forget(accountId: number): void {
    const removed = this.get(accountId);
    this.accounts = this.accounts.filter((account) => account.id !== accountId);
    if (removed) for (const listener of this.listeners) listener({ removed });
  }

  /**
   * Writes down what lives only in the clients' memory before the process goes: a rate-limit window X reported
   * exhausted becomes the account's `rate_limited_until`, so the next process waits for its reset too. Returns how
   * many sessions (accounts not disabled) are preserved in the database.
   */
  async preserve(now: Date = new Date()): Promise<{ sessions: number; windows: number }> {
    let windows = 0;
    const rows = await this.rows();
    for (const row of rows) {
      const account = this.get(row.id);
      if (!account || row.status === "disabled") continue;
      const resets = [...account.client.rateLimits().values()]
        .filter((window) => window.remaining <= 0 && window.resetAt > now)
        .map((window) => window.resetAt.getTime());
      if (resets.length === 0) continue;
      await this.holdUntil(row.id, new Date(Math.max(...resets)));
      windows++;
    }
    return { sessions: rows.filter((row) => row.status !== "disabled").length, windows };
  }

  /** Holds the account back from X until `until` (a 429's reset time). */
  async rateLimitUntil(accountId: number, until: Date): Promise<void> {
    const label = this.get(accountId)?.label;
    if (label !== undefined) this.notify({ kind: "rate_limited", account: label, until });
    await this.holdUntil(accountId, until);
  }

  private async holdUntil(accountId: number, until: Date): Promise<void> {
    // A bare Date inside sql`` reaches postgres-js unserialised (drizzle makes its timestamp
    // serialisers transparent) and throws there, though PGlite accepts it: bind an ISO string.
    const at = sql`${until.toISOString()}::timestamptz`;
    await this.db
      .update(xAccounts)
      .set({ rateLimitedUntil: sql`greatest(coalesce(${xAccounts.rateLimitedUntil}, ${at}), ${at})` })
      .where(eq(xAccounts.id, accountId));
  }
}
