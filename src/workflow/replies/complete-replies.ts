import { sql } from "drizzle-orm";
import type { Database } from "../../db/database.js";
import { preparedRows } from "../../db/raw-rows.js";
import type { ReplyStatus } from "../../db/schema.js";
import { OPEN_STATUSES } from "../dead-letters/entries.js";
import type { Claim } from "./claim-replies.js";
import { assertTransition } from "./transition.js";

/** One reply to complete: its claim and the tweet that answers its post. */
export interface CompletionItem {
  readonly claim: Claim;
  readonly tweetId: string;
  /** Posted by this attempt, or found at X by a reconcile. */
  readonly how: "posted" | "reconciled";
  readonly at: Date;
}

/** What completing one reply did: whether it moved, and how many open dead letters of it were settled. */
export interface Completion {
  readonly completed: boolean;
  readonly deadLettersSettled: number;
}

const FROM: ReplyStatus = "publishing";
const TO: ReplyStatus = "published";

/**
 * The completion of any number of replies as one statement over a JSON list: each reply moves publishing →
 * published with its tweet (only while its attempt still holds the claim: the attempt id guard, so a worker whose
 * lease was taken over cannot overwrite a newer attempt), its attempt is closed either way, its `published` event
 * recorded for /stats, and its open dead letter (a retry that went through) settled as `retried_successfully`.
 * One list item per reply; the text never changes, so the server plans it once.
 */
function completionStatement(items: readonly CompletionItem[]) {
  const list = items.map(({ claim, tweetId, how, at }) => ({
    reply_id: claim.reply.id,
    attempt_id: claim.attemptId,
    tweet_id: tweetId,
    how,
    at: at.toISOString(),
  }));
  return sql`
    with input as (
      select * from jsonb_to_recordset(${JSON.stringify(list)}::jsonb)
        as i(reply_id int, attempt_id uuid, tweet_id text, how text, at timestamptz)
    ), moved as (
      update replies r set status = ${TO}, reply_tweet_id = i.tweet_id, published_at = i.at, needs_reconcile = false,
        failure_reason = null, lease_until = null, version = r.version + 1, updated_at = now()
      from input i where r.id = i.reply_id and r.status = ${FROM} and r.attempt_id = i.attempt_id
      returning r.id
    ), closed as (
      update publish_attempts p set outcome = i.how, finished_at = i.at, tweet_id = i.tweet_id, error = null
      from input i where p.id = i.attempt_id
    ), event as (
      insert into workflow_events (kind, reply_id) select 'published', id from moved
    ), settled as (
      update dead_letters d set status = 'retried_successfully', next_retry_at = null, updated_at = now()
      where d.reply_id in (select id from moved) and d.status in (${sql.join(
        OPEN_STATUSES.map((status) => sql`${status}`),
        sql`, `,
      )})
      returning d.reply_id
    )
    select m.id, (select count(*) from settled s where s.reply_id = m.id)::int as settled from moved m`;
}

/**
 * Completes the replies of `items` in one statement (see {@link completionStatement}); resolves with what happened to
 * each, by reply id (`completed: false`: its attempt had lost the claim, and only the attempt row was closed).
 */
export async function completeReplies(db: Database, items: readonly CompletionItem[]): Promise<Map<number, Completion>> {
  assertTransition(FROM, TO);
  const done = new Map<number, Completion>(items.map(({ claim }) => [claim.reply.id, { completed: false, deadLettersSettled: 0 }]));
  if (items.length === 0) return done;
  for (const row of await preparedRows(db, "complete_replies", completionStatement(items))) {
    done.set(Number(row.id), { completed: true, deadLettersSettled: Number(row.settled) });
  }
  return done;
}
