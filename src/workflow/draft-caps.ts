/**
 * The spend caps of drafting, counted in the database so they hold across restarts and replicas. A post "spent"
 * AI when it was drafted, turned down by the gatekeeper or given up after failed drafts (its `drafted` or
 * `skipped` event, joined to the post for the author and the reason). The window is the last 24 hours, rolling,
 * on the database's clock (the one that stamps the events): no burst at midnight, no time zone to agree on.
 */
import { and, eq, gte, inArray, or, sql } from "drizzle-orm";
import type { Database } from "../db/database.js";
import { posts, workflowEvents } from "../db/schema.js";
import { AI_SPENT_SKIP_REASONS } from "./skip-reasons.js";

/** The caps: posts the AI may work on per author and in all, per rolling 24 hours. */
export interface DraftCaps {
  readonly perAuthorPerDay: number;
  readonly perDay: number;
}

/** Which cap a post from `authorId` would break, checked before any AI call for it; undefined when none. */
export async function capReached(db: Database, authorId: string, caps: DraftCaps): Promise<"author_cap" | "day_cap" | undefined> {
  const [row] = await db
    .select({
      all: sql<number>`count(*)`.mapWith(Number),
      author: sql<number>`count(*) filter (where ${posts.authorId} = ${authorId})`.mapWith(Number),
    })
    .from(workflowEvents)
    .innerJoin(posts, eq(posts.tweetId, workflowEvents.postTweetId))
    .where(
      and(
        // The bound leads the workflow_events (at, kind) index.
        gte(workflowEvents.at, sql`now() - interval '24 hours'`),
        or(
          eq(workflowEvents.kind, "drafted"),
          and(eq(workflowEvents.kind, "skipped"), inArray(posts.skipReason, [...AI_SPENT_SKIP_REASONS])),
        ),
      ),
    );
  if ((row?.author ?? 0) >= caps.perAuthorPerDay) return "author_cap";
  if ((row?.all ?? 0) >= caps.perDay) return "day_cap";
  return undefined;
}
