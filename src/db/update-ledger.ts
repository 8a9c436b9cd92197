import { eq, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { KeyedQueue } from "../kit/keyed-queue.js";
import type { Database } from "./database.js";
import * as schema from "./schema.js";

const { telegramUpdates } = schema;

/** First key of the two-int advisory locks that serialise one chat's webhook updates ("chat" lock class). */
export const CHAT_LOCK_CLASS = 7_261_990;
/**
 * Connections of the ledger's own pool, which bounds the updates handled at once by this replica. Its own pool, not
 * the query pool: a transaction waiting for a chat lock holds a connection, and the handler it guards needs
 * another; on a shared pool enough waiters would leave the lock holder's handler none (a deadlock).
 */
const LEDGER_CONNECTIONS = 4;
/** How long Telegram keeps an update, and so how long an update id needs remembering. */
const KEEP_HOURS = 24;

/** What became of an update offered to the ledger. */
export type LedgerOutcome = "handled" | "duplicate";

/** Takes each Telegram update once across replicas, one at a time per chat. */
export interface UpdateLedger {
  /**
   * Runs `handle` unless `updateId` was handled before, holding the lock of `chatKey` meanwhile; the update id is
   * recorded only once `handle` resolves, so a process that dies mid-handling leaves it for Telegram to deliver again.
   * When `handle` throws, nothing is recorded and the error is rethrown.
   */
  once(updateId: number, chatKey: string, handle: () => Promise<void>): Promise<LedgerOutcome>;
  /** Forgets the update ids received more than 24 h ago; resolves with how many. */
  prune(): Promise<number>;
  /** Closes what the ledger opened (not the database it was given). */
  close(): Promise<void>;
}

async function pruneOld(db: Database): Promise<number> {
  const gone = await db
    .delete(telegramUpdates)
    .where(sql`${telegramUpdates.receivedAt} < now() - make_interval(hours => ${KEEP_HOURS})`)
    .returning({ updateId: telegramUpdates.updateId });
  return gone.length;
}

/**
 * The ledger of replicas sharing one PostgreSQL database: each update runs in a transaction on the ledger's own pool
 * that first takes `pg_advisory_xact_lock(CHAT_LOCK_CLASS, hashtext(chatKey))` (a transaction lock: released by the
 * commit, the rollback or the death of the connection, so it cannot leak the way a forgotten session unlock can),
 * then inserts the update id (`on conflict do nothing`), runs the handler and commits. A duplicate of an update in
 * flight is of the same chat, so it waits for the lock and then finds the id committed.
 */
export function postgresUpdateLedger(url: string): UpdateLedger {
  const client = postgres(url, {
    max: LEDGER_CONNECTIONS,
    connect_timeout: 10,
    idle_timeout: 60,
    fetch_types: false,
    onnotice: () => undefined,
    connection: { application_name: "reply-guy-bot webhook ledger" },
  });
  const db = drizzle({ client, schema });
  return {
    once: (updateId, chatKey, handle) =>
      db.transaction(async (tx) => {
        await tx.execute(sql`select pg_advisory_xact_lock(${CHAT_LOCK_CLASS}::int, hashtext(${chatKey}))`);
        const inserted = await tx
          .insert(telegramUpdates)
          .values({ updateId })
          .onConflictDoNothing()
          .returning({ updateId: telegramUpdates.updateId });
        if (inserted.length === 0) return "duplicate";
        await handle();
        return "handled";
      }),
    prune: () => pruneOld(db),
    close: () => client.end({ timeout: 5 }),
  };
}

/**
 * The ledger of a single process (PGlite, whose one connection cannot hold a transaction open while the handler
 * queries): one chat's updates queue in memory, and the update id is checked before and recorded after handling.
 */
export function localUpdateLedger(db: Database): UpdateLedger {
  const queue = new KeyedQueue();
  return {
    once: (updateId, chatKey, handle) =>
      queue.run(chatKey, async () => {
        const seen = await db.select({ updateId: telegramUpdates.updateId }).from(telegramUpdates).where(eq(telegramUpdates.updateId, updateId));
        if (seen.length > 0) return "duplicate";
        await handle();
        await db.insert(telegramUpdates).values({ updateId }).onConflictDoNothing();
        return "handled";
      }),
    prune: () => pruneOld(db),
    close: () => Promise.resolve(),
  };
}
