/**
 * The plan a prepared claim settles on. PostgreSQL plans a prepared statement for its values at first, then may keep
 * one generic plan made without them (it does after five runs when that plan looks no dearer). That plan must read
 * the long history through indexes: with the statuses as parameters, it scanned `replies`, `publish_attempts` and
 * `posts` whole (29 ms with 100,000 replies, against 1 ms). And a batch taken from a backlog must be moved by primary
 * key: with the status repeated in the update, the plan walked every approved reply for each one taken (a claim of 25
 * from 1,000 took 8.6 ms instead of 1.3 ms, and a drain's cost grew with the square of its backlog).
 */
import { sql } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import { describe, expect, it } from "vitest";
import type { Database } from "../../src/db/database.js";
import { resultRows } from "../../src/db/raw-rows.js";
import { claimStatement } from "../../src/workflow/replies/claim-replies.js";
import { databaseTargets, useTestDatabase } from "../support/database.js";
import { planRolledBack } from "../support/query-plan.js";
import { clearWorkflowTables } from "../support/workflow-fixtures.js";

const HISTORY = 5_000;
const NOW = new Date("2026-06-01T12:00:00Z");

/** Two accounts, `HISTORY` replies the first published (each with its post and attempt, days before `NOW`), and 3 due. */
async function seedHistory(db: Database): Promise<number> {
  const [account] = resultRows(await db.execute(sql`insert into x_accounts (label) values ('a'), ('b') returning id`));
  const id = account!.id as number;
  const at = (expression: string) => sql.raw(`'${NOW.toISOString()}'::timestamptz - ${expression}`);
  await db.execute(sql`insert into posts (tweet_id, author_id, text, source, source_detail, account_id, answerable, state)
    select g::text, 'u', 't', 'mention', 'd', ${id}, true, 'drafted' from generate_series(1, ${HISTORY + 3}::int) g`);
  await db.execute(sql`insert into replies (post_tweet_id, status, draft, weighted_length, expires_at, decided_at, scheduled_at,
      account_id, attempt_id, published_at)
    select g::text, 'published', 'd', 1, ${at("interval '0 days'")}, h, h, ${id}, md5(g::text)::uuid, h
    from generate_series(1, ${HISTORY}::int) g, lateral (select ${at("interval '2 days'")} - g * interval '1 minute' as h) t`);
  await db.execute(sql`insert into publish_attempts (id, reply_id, account_id, started_at, finished_at, outcome)
    select attempt_id, id, account_id, published_at, published_at, 'posted' from replies`);
  await db.execute(sql`insert into replies (post_tweet_id, status, draft, weighted_length, expires_at, decided_at, scheduled_at)
    select g::text, 'approved', 'd', 1, ${at("interval '-1 day'")}, ${at("interval '1 hour'")}, ${at("interval '1 hour'")}
    from generate_series(${HISTORY + 1}::int, ${HISTORY + 3}::int) g`);
  await db.execute(sql`analyze`);
  return id;
}

/** A statement's parameter as SQL text (the claim's are numbers, instants and a UUID). */
function literal(value: unknown): string {
  return typeof value === "number" ? String(value) : `'${String(value).replace(/'/g, "''")}'`;
}

/** The generic plan of the claim of `accountId` (of `batch` replies), run once (EXPLAIN ANALYZE) and rolled back. */
function genericPlan(db: Database, accountId: number, batch = 1): Promise<string[]> {
  const query = new PgDialect().sqlToQuery(claimStatement({ accountId, now: NOW, leaseSeconds: 120, batch, limits: { perHour: 15, perDay: 50 } }));
  return planRolledBack(db, async (tx) => {
    await tx.execute(sql.raw(`prepare generic_claim as ${query.sql}`));
    await tx.execute(sql`set local plan_cache_mode = force_generic_plan`);
    const plan = await tx.execute(sql.raw(`explain (analyze, costs off) execute generic_claim(${query.params.map(literal).join(", ")})`));
    await tx.execute(sql`deallocate generic_claim`);
    return plan;
  });
}

describe.each(databaseTargets())("the claim's generic plan on $name", (target) => {
  const db = useTestDatabase(target, clearWorkflowTables);

  it("reads a long history through indexes only, and still claims", { timeout: 30_000 }, async () => {
    const accountId = await seedHistory(db());
    const plan = await genericPlan(db(), accountId);
    expect(plan.filter((line) => /Seq Scan on (replies|publish_attempts|posts)\b/.test(line))).toEqual([]);
    expect(plan.join("\n")).toMatch(/Index Scan Backward using publish_attempts_account_started_idx/);
    expect(plan.join("\n")).toMatch(/Index Scan using posts_pkey/);
    // It ran as planned: the update moved one reply.
    expect(plan.join("\n")).toMatch(/Update on replies \w+ \(actual time=[\d.]+ rows=1(\.00)? /);
  });

  it("moves a batch taken from a backlog by primary key, not by walking every approved reply for each one", { timeout: 30_000 }, async () => {
    const accountId = await seedHistory(db());
    // A backlog approved since the statistics were taken (a bulk approval): the planner still expects 3 approved.
    await db().execute(sql`insert into posts (tweet_id, author_id, text, source, source_detail, account_id, answerable, state)
      select 'b' || g, 'u', 't', 'mention', 'd', ${accountId}, true, 'drafted' from generate_series(1, 400) g`);
    await db().execute(sql`insert into replies (post_tweet_id, status, draft, weighted_length, expires_at, decided_at, scheduled_at)
      select 'b' || g, 'approved', 'd', 1, ${NOW.toISOString()}::timestamptz + interval '1 day', ${NOW.toISOString()}::timestamptz - interval '1 hour',
        ${NOW.toISOString()}::timestamptz - interval '1 hour'
      from generate_series(1, 400) g`);
    const plan = (await genericPlan(db(), accountId, 10)).join("\n");
    expect(plan).toMatch(/Update on replies \w+ \(actual time=[\d.]+ rows=10(\.00)? /);
    expect(plan).toMatch(/Update on replies[\s\S]*Index Scan using replies_pkey on replies/);
    // Walking the approved replies for each one taken showed as thousands of rows removed by the join's filter.
    expect(plan).not.toMatch(/Rows Removed by Join Filter/);
  });
});
