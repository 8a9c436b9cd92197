/**
 * The spend caps as the database counts them: drafted posts and posts skipped after the AI worked on them, per
 * author and in all, over the last 24 hours; the author's cap is named first when both are reached.
 */
import { sql } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { posts, workflowEvents, xAccounts } from "../../src/db/schema.js";
import { capReached } from "../../src/workflow/draft-caps.js";
import type { SkipReason } from "../../src/workflow/skip-reasons.js";
import { databaseTargets, useTestDatabase } from "../support/database.js";
import { clearWorkflowTables } from "../support/workflow-fixtures.js";

const ALICE = "100";
const BOB = "200";

describe.each(databaseTargets())("draft caps ($name)", (target) => {
  const db = useTestDatabase(target, clearWorkflowTables);
  let accountId: number;
  let nextTweet = 1;

  beforeEach(async () => {
    const [account] = await db().insert(xAccounts).values({ label: "main" }).returning();
    accountId = account!.id;
  });

  /** A post by `authorId` with one workflow event of `kind` (a skipped post carries `skipReason`). */
  async function spent(authorId: string, kind: "drafted" | "skipped" | "approved", skipReason?: SkipReason): Promise<string> {
    const tweetId = String(nextTweet++);
    await db()
      .insert(posts)
      .values({
        tweetId,
        authorId,
        text: "hi",
        source: "mention",
        sourceDetail: "m",
        accountId,
        answerable: true,
        state: kind === "skipped" ? "skipped" : "drafted",
        skipReason: skipReason ?? null,
      });
    await db().insert(workflowEvents).values({ kind, postTweetId: tweetId });
    return tweetId;
  }

  it("is reached for an author at the cap, not one below it", async () => {
    await spent(ALICE, "drafted");
    await spent(ALICE, "drafted");
    expect(await capReached(db(), ALICE, { perAuthorPerDay: 3, perDay: 100 })).toBeUndefined();
    await spent(ALICE, "drafted");
    expect(await capReached(db(), ALICE, { perAuthorPerDay: 3, perDay: 100 })).toBe("author_cap");
    expect(await capReached(db(), BOB, { perAuthorPerDay: 3, perDay: 100 })).toBeUndefined();
  });

  it("is reached for everyone at the day cap over all authors, the author's cap named first", async () => {
    await spent(ALICE, "drafted");
    await spent(BOB, "drafted");
    expect(await capReached(db(), BOB, { perAuthorPerDay: 5, perDay: 3 })).toBeUndefined();
    await spent(BOB, "drafted");
    expect(await capReached(db(), ALICE, { perAuthorPerDay: 5, perDay: 3 })).toBe("day_cap");
    expect(await capReached(db(), BOB, { perAuthorPerDay: 2, perDay: 3 })).toBe("author_cap");
  });

  it("counts a post skipped after an AI call, not one skipped before any, nor other events", async () => {
    await spent(ALICE, "skipped", "gatekeeper");
    await spent(ALICE, "skipped", "draft_error");
    expect(await capReached(db(), ALICE, { perAuthorPerDay: 2, perDay: 100 })).toBe("author_cap");
    await clearWorkflowTables(db());
    const [account] = await db().insert(xAccounts).values({ label: "main" }).returning();
    accountId = account!.id;
    await spent(ALICE, "skipped", "retweet");
    await spent(ALICE, "skipped", "author_cap");
    await spent(ALICE, "approved");
    expect(await capReached(db(), ALICE, { perAuthorPerDay: 1, perDay: 1 })).toBeUndefined();
  });

  it("counts only the last 24 hours", async () => {
    await spent(ALICE, "drafted");
    await db().execute(sql`update workflow_events set at = at - interval '24 hours 1 minute'`);
    expect(await capReached(db(), ALICE, { perAuthorPerDay: 1, perDay: 1 })).toBeUndefined();
    await db().execute(sql`update workflow_events set at = at + interval '2 minutes'`);
    expect(await capReached(db(), ALICE, { perAuthorPerDay: 1, perDay: 1 })).toBe("author_cap");
  });
});
