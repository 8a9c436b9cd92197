/**
 * The watchlist's edges the mutation run found unpinned: the exact refusals an admin reads, where an @ may stand,
 * how opt-outs are matched (any case, unknown names, two names at once), when an opt-out redraws the cards, and when
 * the publisher's opt-out cache reads them again.
 */
import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { optOuts, posts, replies, xAccounts } from "../../src/db/schema.js";
import { OptOutCache } from "../../src/workflow/opt-out-cache.js";
import { MAX_SEARCH_LENGTH, MAX_TOPIC_LENGTH, normaliseUsername, normaliseWatchValue, optedOutAmong, Watchlist } from "../../src/workflow/watchlist.js";
import { databaseTargets, useTestDatabase } from "../support/database.js";
import { clearWorkflowTables } from "../support/workflow-fixtures.js";
import { failingBuilder } from "../support/failing-builder.js";

describe("watch values an admin types", () => {
  it("takes one leading @ only, after trimming, and says what a username may be", () => {
    expect(normaliseUsername("  @Alice_1 ")).toEqual({ ok: true, value: "Alice_1" });
    expect(normaliseUsername("al@ice")).toEqual({ ok: false, error: "an X username is 1–15 letters, digits or _ (with or without @)" });
  });

  it("says how long a search and a topic may be, and that a topic needs a letter or digit", () => {
    expect(normaliseWatchValue("search", " ")).toEqual({ ok: false, error: `a search query is 1–${MAX_SEARCH_LENGTH} characters` });
    expect(normaliseWatchValue("topic", "  ")).toEqual({ ok: false, error: `a topic is 1–${MAX_TOPIC_LENGTH} characters` });
    expect(normaliseWatchValue("topic", "x".repeat(MAX_TOPIC_LENGTH + 1))).toEqual({ ok: false, error: `a topic is 1–${MAX_TOPIC_LENGTH} characters` });
    expect(normaliseWatchValue("topic", "?!")).toEqual({ ok: false, error: "a topic needs a letter or digit" });
  });
});

describe.each(databaseTargets())("opt-outs on $name", (target) => {
  const db = useTestDatabase(target, clearWorkflowTables);
  let redraws = 0;
  let optOutChanges = 0;
  let watchlist: Watchlist;
  beforeEach(() => {
    redraws = 0;
    optOutChanges = 0;
    watchlist = new Watchlist(db(), { redrawCards: () => void redraws++, optOutsChanged: () => void optOutChanges++ });
  });

  async function replyTo(author: string): Promise<number> {
    const [account] = await db().insert(xAccounts).values({ label: `home-${author}` }).returning();
    const tweetId = `77${account!.id}`;
    await db()
      .insert(posts)
      .values({ tweetId, authorId: `id-${author}`, authorUsername: author, text: "hi", source: "mention", sourceDetail: "m", accountId: account!.id, answerable: true, state: "drafted" });
    const [reply] = await db()
      .insert(replies)
      .values({ postTweetId: tweetId, status: "awaiting_approval", draft: "hello", weightedLength: 5, expiresAt: new Date(Date.now() + 3_600_000) })
      .returning();
    return reply!.id;
  }

  it("matches any case, ignores unknown names, and answers for either of two names", async () => {
    await db().insert(optOuts).values({ username: "alice", createdBy: null });
    const cache = new OptOutCache(db());
    expect(await cache.anyOptedOut(["ALICE"])).toBe(true);
    expect(await cache.anyOptedOut([null, undefined])).toBe(false);
    expect(await cache.anyOptedOut(["bob", "Alice"])).toBe(true);
    expect(await cache.anyOptedOut(["bob"])).toBe(false);
    expect(await optedOutAmong(db(), ["Bob", "ALICE", null, "alice"])).toEqual(new Set(["alice"]));
    expect(await optedOutAmong(db(), [null, undefined])).toEqual(new Set());
  });

  it("the opt-out cache reads the opt-outs once, again only after invalidate, and tries again after a failed read", async () => {
    // The test database, with its reads counted and one made to fail on demand.
    const watched = failingBuilder(db(), "select", () => new Error("database gone"));
    const cache = new OptOutCache(watched.db);
    expect(await cache.anyOptedOut([null, undefined, ""])).toBe(false);
    expect(watched.uses()).toBe(0);
    expect(await cache.anyOptedOut(["bob"])).toBe(false);
    await db().insert(optOuts).values({ username: "bob", createdBy: null });
    // Kept until invalidated: the insert above did not go through a watchlist that would say so.
    expect(await cache.anyOptedOut(["bob"])).toBe(false);
    expect(watched.uses()).toBe(1);
    cache.invalidate();
    watched.fail();
    await expect(cache.anyOptedOut(["bob"])).rejects.toThrow("database gone");
    expect(await cache.anyOptedOut(["bob"])).toBe(true);
    expect(watched.uses()).toBe(3);
  });

  it("tells the opt-out cache when an opt-out is added or removed, and only then", async () => {
    await watchlist.optOut("frank", 1);
    expect(optOutChanges).toBe(1);
    // Already opted out: nothing changed (it still cancels what is left).
    await watchlist.optOut("FRANK", 1);
    expect(optOutChanges).toBe(1);
    expect(await watchlist.optIn("nobody")).toBe(false);
    expect(optOutChanges).toBe(1);
    expect(await watchlist.optIn("@Frank")).toBe(true);
    expect(optOutChanges).toBe(2);
    expect(await watchlist.optOut("not a name!", 1)).toMatchObject({ ok: false });
    expect(optOutChanges).toBe(2);
  });

  it("cancels the author's open replies with the reason, and redraws the cards only when some were cancelled", async () => {
    const id = await replyTo("carol");
    expect(await watchlist.optOut("@Dave", 1)).toEqual({ ok: true, added: true, cancelled: 0 });
    expect(redraws).toBe(0);
    expect(await watchlist.optOut("@Carol", 1)).toEqual({ ok: true, added: true, cancelled: 1 });
    expect(redraws).toBe(1);
    const [row] = await db().select().from(replies).where(eq(replies.id, id));
    expect(row).toMatchObject({ status: "cancelled", failureReason: "@carol opted out" });
  });

  it("refuses to opt in an invalid name, and opts in a stored one", async () => {
    await watchlist.optOut("erin", 1);
    expect(await watchlist.optIn("not a name")).toBe(false);
    expect(await watchlist.optIn("@ERIN")).toBe(true);
    expect(await watchlist.listOptOuts()).toEqual([]);
  });
});
