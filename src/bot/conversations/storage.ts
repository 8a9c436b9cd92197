import type { ConversationData, VersionedStateStorage } from "@grammyjs/conversations";
import { eq, sql } from "drizzle-orm";
import type { Database } from "../../db/database.js";
import { conversationSessions } from "../../db/schema.js";
import type { SecretBox } from "../../kit/secret-box.js";

type Stored = Parameters<VersionedStateStorage<string, ConversationData>["write"]>[1];

/** How a state is kept when a secret box is given: its JSON, sealed. */
interface SealedState {
  readonly sealed: string;
}

function isSealed(value: unknown): value is SealedState {
  return typeof value === "object" && value !== null && typeof (value as { sealed?: unknown }).sealed === "string";
}

/**
 * Keeps conversation state in the database so a conversation survives a restart. The plugin reads
 * the state on every update of a chat, so reads are served from memory after the first one; this
 * is safe because only the one process that holds getUpdates (Telegram allows one) handles updates.
 *
 * A conversation's state holds every message it received (the plugin replays them), so with `box` the state is
 * sealed (AES-256-GCM) before it is written: the credentials typed into `/accounts add` are never in the database in
 * clear. A state the box cannot open (the key changed) reads as none: that conversation is forgotten.
 */
export function createConversationStorage(db: Database, box?: SecretBox): VersionedStateStorage<string, ConversationData> {
  const cache = new Map<string, Stored | undefined>();
  const open = (value: unknown): Stored | undefined => {
    if (!isSealed(value)) return value as Stored | undefined;
    if (!box) return undefined;
    try {
      return JSON.parse(box.open(value.sealed).plaintext) as Stored;
    } catch {
      return undefined;
    }
  };
  return {
    async read(key) {
      if (cache.has(key)) return cache.get(key);
      const [row] = await db.select().from(conversationSessions).where(eq(conversationSessions.key, key));
      const value = open(row?.value);
      cache.set(key, value);
      return value;
    },
    async write(key, state) {
      const value = box ? { sealed: box.seal(JSON.stringify(state)) } : state;
      await db
        .insert(conversationSessions)
        .values({ key, value })
        .onConflictDoUpdate({ target: conversationSessions.key, set: { value, updatedAt: sql`now()` } });
      cache.set(key, state);
    },
    async delete(key) {
      await db.delete(conversationSessions).where(eq(conversationSessions.key, key));
      cache.set(key, undefined);
    },
  };
}
