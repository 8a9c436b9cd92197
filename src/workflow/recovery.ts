import { and, count, eq, isNull, lt, lte, or, sql } from "drizzle-orm";
import type { Database } from "../db/database.js";
import { conversationSessions, replies } from "../db/schema.js";

/** What boot recovery found before it acted. */
export interface RecoveryFindings {
  /** Replies a dead process left in `publishing`. */
  readonly interruptedPublishes: number;
  /** Drafts whose card was never sent (crash between insert and send). */
  readonly cardsNeverSent: number;
  /** Replies whose card shows an older state (crash between transition and edit). */
  readonly cardsOutdated: number;
  /** Approved replies that became due while the bot was down. */
  readonly overdueApproved: number;
  /** Edit conversations waiting for an admin's text. */
  readonly conversationsWaiting: number;
}

/** Counts what a crash or an outage left half-done; read before recovery acts on it. */
export async function inspectForRecovery(db: Database, now: Date): Promise<RecoveryFindings> {
  const countWhere = async (where: ReturnType<typeof and>) => {
    const [row] = await db.select({ n: count() }).from(replies).where(where);
    return row?.n ?? 0;
  };
  // A card Telegram refused is not work left half-done: card sync leaves it until its reply changes.
  const cardNotRefused = or(isNull(replies.cardFailedVersion), lt(replies.cardFailedVersion, replies.version));
  const [conversations] = await db
    .select({ n: count() })
    .from(conversationSessions)
    .where(sql`${conversationSessions.value}::text not in ('{}', 'null')`);
  return {
    interruptedPublishes: await countWhere(eq(replies.status, "publishing")),
    cardsNeverSent: await countWhere(and(isNull(replies.cardMessageId), cardNotRefused)),
    cardsOutdated: await countWhere(
      and(sql`${replies.cardMessageId} is not null`, lt(replies.cardVersion, replies.version), cardNotRefused),
    ),
    overdueApproved: await countWhere(and(eq(replies.status, "approved"), lte(replies.scheduledAt, now))),
    conversationsWaiting: conversations?.n ?? 0,
  };
}
