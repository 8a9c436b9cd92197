/**
 * Migration 0006_account_pool brings rows written before it into the pool: a reply to a post that
 * summoned its account (found in its mentions, or naming it) is bound to that account; any other is
 * free, and one no account has tried yet loses its account until a claim assigns one; every reply
 * gets its post's priority. The data statements of the migration are run again on rows shaped as
 * the old code wrote them.
 */
import { readFileSync } from "node:fs";
import { asc, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { posts, replies, xAccounts } from "../../src/db/schema.js";
import { databaseTargets, useTestDatabase } from "../support/database.js";
import { clearWorkflowTables } from "../support/workflow-fixtures.js";

const MIGRATION = new URL("../../drizzle/0006_account_pool.sql", import.meta.url);

/** The migration's UPDATE statements (its data part), comments dropped. */
function dataStatements(): string[] {
  return readFileSync(MIGRATION, "utf8")
    .split("--> statement-breakpoint")
    .map((statement) =>
      statement
        .split("\n")
        .filter((line) => !line.trim().startsWith("--"))
        .join("\n")
        .trim(),
    )
    .filter((statement) => statement.startsWith("UPDATE"));
}

describe.each(databaseTargets())("migration 0006_account_pool on $name", (target) => {
  const db = useTestDatabase(target, clearWorkflowTables);

  it("binds replies to posts that summoned their account, frees the rest, and sets priorities", async () => {
    const [a] = await db().insert(xAccounts).values({ label: "a", username: "ReplyGuy", xUserId: "1" }).returning();
    const old = [
      { id: "1", source: "mention", text: "hi there", status: "approved", attempts: 0 },
      { id: "2", source: "target", text: "what does @replyguy think?", status: "approved", attempts: 0 },
      { id: "3", source: "search", text: "typescript is great, ask @replyguyz", status: "approved", attempts: 0 },
      { id: "4", source: "target", text: "shipping today", status: "awaiting_approval", attempts: 0 },
      { id: "5", source: "search", text: "shipping today", status: "approved", attempts: 2 },
      { id: "6", source: "search", text: "shipping today", status: "published", attempts: 1 },
    ] as const;
    for (const row of old) {
      await db().insert(posts).values({
        tweetId: row.id,
        authorId: "9",
        text: row.text,
        source: row.source,
        sourceDetail: "x",
        accountId: a!.id,
        answerable: true,
        state: "drafted",
      });
      await db().insert(replies).values({
        postTweetId: row.id,
        accountId: a!.id,
        status: row.status,
        draft: "Hello.",
        weightedLength: 6,
        expiresAt: new Date(),
        attemptCount: row.attempts,
      });
    }
    for (const statement of dataStatements()) await db().execute(sql.raw(statement));

    const rows = await db().select().from(replies).orderBy(asc(replies.postTweetId));
    expect(rows.map((row) => [row.postTweetId, row.boundAccountId, row.accountId, row.priority])).toEqual([
      ["1", a!.id, a!.id, 0],
      ["2", a!.id, a!.id, 1],
      ["3", null, null, 2],
      ["4", null, null, 1],
      ["5", null, a!.id, 2],
      ["6", null, a!.id, 2],
    ]);
    const boundPosts = await db().select({ id: posts.tweetId, bound: posts.boundAccountId }).from(posts).orderBy(asc(posts.tweetId));
    expect(boundPosts.filter((post) => post.bound !== null).map((post) => post.id)).toEqual(["1", "2"]);
  });
});
