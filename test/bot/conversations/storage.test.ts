/**
 * Conversation state in the database: with a secret box it is written sealed (a conversation replays the messages
 * it received, and `/accounts add` receives credentials), read back by the next storage with the same key, read as
 * none when the key is another one, and a state written before sealing existed is still read.
 */
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createConversationStorage } from "../../../src/bot/conversations/storage.js";
import { conversationSessions } from "../../../src/db/schema.js";
import { SecretBox } from "../../../src/kit/secret-box.js";
import { databaseTargets, useTestDatabase } from "../../support/database.js";

type State = Parameters<ReturnType<typeof createConversationStorage>["write"]>[1];

const STATE = { version: [0, "0"], state: { addAccount: [{ args: '["secret-token-123"]', interrupts: [], replay: {} }] } } as unknown as State;

describe.each(databaseTargets())("conversation storage ($name)", (target) => {
  const db = useTestDatabase(target, (database) => database.delete(conversationSessions));

  it("seals the state with the box; the same key reads it back, another key reads none; an unsealed state still reads", async () => {
    const box = new SecretBox(randomBytes(32));
    await createConversationStorage(db(), box).write("1001", STATE);
    const [row] = await db().select().from(conversationSessions);
    expect(JSON.stringify(row!.value)).not.toContain("secret-token-123");
    expect(JSON.stringify(row!.value)).toMatch(/^\{"sealed":"v1:/);

    expect(await createConversationStorage(db(), box).read("1001")).toEqual(STATE);
    expect(await createConversationStorage(db(), new SecretBox(randomBytes(32))).read("1001")).toBeUndefined();
    expect(await createConversationStorage(db()).read("1001")).toBeUndefined();

    await createConversationStorage(db()).write("1002", STATE);
    expect(await createConversationStorage(db(), box).read("1002")).toEqual(STATE);
  });
});
