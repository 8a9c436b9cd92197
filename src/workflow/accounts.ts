import { and, eq, ne, sql } from "drizzle-orm";
import type { Database } from "../db/database.js";
import { xAccounts } from "../db/schema.js";
import type { XAccountClient } from "../x/types.js";
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
 * The configured X accounts. Rows are created at boot from the configuration (by label), and each
 * account's X identity (user id, username) is resolved once through `users/me` and stored.
 */
export class XAccounts {
  private constructor(
    private readonly db: Database,
    private readonly accounts: readonly XAccount[],
    private readonly notify: NoticeSink,
  ) {}

  /** Makes sure every configured account has a row; returns the registry. */
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
    return new XAccounts(db, accounts, notify);
  }

  /** Every configured account, in configuration order. */
  all(): readonly XAccount[] {
    return this.accounts;
  }

  /** The account with this id, if it is configured. */
  get(id: number): XAccount | undefined {
    return this.accounts.find((account) => account.id === id);
  }

  /** The stored rows of the configured accounts. */
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

  /** Marks the account's credentials as rejected by X (401), or healthy again. */
  async setSessionState(accountId: number, state: "ok" | "needs_attention"): Promise<void> {
    const changed = await this.db
      .update(xAccounts)
      .set({ sessionState: state })
      .where(and(eq(xAccounts.id, accountId), ne(xAccounts.sessionState, state)))
      .returning({ id: xAccounts.id });
    const label = this.get(accountId)?.label;
    if (changed.length > 0 && label !== undefined) {
      this.notify({ kind: state === "ok" ? "session_recovered" : "session_expired", account: label });
    }
  }

  /**
   * Asks X (users/me) whether the accounts whose credentials were rejected work again (an admin
   * renewed the tokens, X fixed an outage); those that do are marked ok.
   */
  async recheckSessions(): Promise<void> {
    for (const row of await this.rows()) {
      const account = this.get(row.id);
      if (row.sessionState === "ok" || !account) continue;
      const me = await account.client.me().catch(() => undefined);
      if (me) await this.setSessionState(row.id, "ok");
    }
  }

  /** Holds the account back from X until `until` (a 429's reset time). */
  async rateLimitUntil(accountId: number, until: Date): Promise<void> {
    const label = this.get(accountId)?.label;
    if (label !== undefined) this.notify({ kind: "rate_limited", account: label, until });
    // A bare Date inside sql`` reaches postgres-js unserialised (drizzle makes its timestamp
    // serialisers transparent) and throws there, though PGlite accepts it: bind an ISO string.
    const at = sql`${until.toISOString()}::timestamptz`;
    await this.db
      .update(xAccounts)
      .set({ rateLimitedUntil: sql`greatest(coalesce(${xAccounts.rateLimitedUntil}, ${at}), ${at})` })
      .where(eq(xAccounts.id, accountId));
  }

  /** Sets when the account may post next (the pause between two posts). */
  async setNextPostAt(accountId: number, at: Date): Promise<void> {
    await this.db.update(xAccounts).set({ nextPostAt: at }).where(eq(xAccounts.id, accountId));
  }
}
