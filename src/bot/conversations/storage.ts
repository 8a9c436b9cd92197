import type { ConversationData, VersionedStateStorage } from "@grammyjs/conversations";
import { eq, sql } from "drizzle-orm";
import type { Database } from "../../db/database.js";
import { conversationSessions } from "../../db/schema.js";

type Stored = Parameters<VersionedStateStorage<string, ConversationData>["write"]>[1];

/**
 * Keeps conversation state in the database so a conversation survives a restart. The plugin reads
 * the state on every update of a chat, so reads are served from memory after the first one; this
 * is safe because only the one process that holds getUpdates (Telegram allows one) handles updates.
 */
export function createConversationStorage(db: Database): VersionedStateStorage<string, ConversationData> {
  const cache = new Map<string, Stored | undefined>();
  return {
    async read(key) {
      if (cache.has(key)) return cache.get(key);
      const [row] = await db.select().from(conversationSessions).where(eq(conversationSessions.key, key));
      const value = row?.value as Stored | undefined;
      cache.set(key, value);
      return value;
    },
    async write(key, state) {
      await db
        .insert(conversationSessions)
        .values({ key, value: state })
        .onConflictDoUpdate({ target: conversationSessions.key, set: { value: state, updatedAt: sql`now()` } });
      cache.set(key, state);
    },
    async delete(key) {
      await db.delete(conversationSessions).where(eq(conversationSessions.key, key));
      cache.set(key, undefined);
    },
  };
}
