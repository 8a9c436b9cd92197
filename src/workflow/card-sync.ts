import { asc, eq, isNull, lt, or } from "drizzle-orm";
import type { Database } from "../db/database.js";
import { posts, replies } from "../db/schema.js";
import type { Logger } from "../logger.js";
import type { Post } from "./drafting.js";
import type { PauseSwitch } from "./pause.js";
import { markCardDrawn } from "./replies/card-state.js";
import type { Reply } from "./reply-states.js";
import { singleFlight } from "../kit/single-flight.js";

/** Everything a card shows: the reply, its post, and the context it is shown in. */
export interface CardView {
  readonly reply: Reply;
  readonly post: Post;
  readonly timeZone: string;
  readonly paused: boolean;
  /** The X username that publishes the reply, when known. */
  readonly accountUsername: string | undefined;
  readonly now: Date;
}

/** Where cards live (the admin chat); implemented by the Telegram side. */
export interface CardSink {
  /** Posts a new card; resolves with its message id. */
  send(view: CardView): Promise<number>;
  /** Rewrites an existing card in place (identical content counts as success). */
  update(messageId: number, view: CardView): Promise<void>;
}

/** What card sync needs. */
export interface CardSyncDeps {
  readonly db: Database;
  readonly sink: CardSink;
  readonly pause: PauseSwitch;
  readonly logger: Logger;
  readonly timeZone: string;
  readonly accountUsername: (accountId: number) => string | undefined;
  readonly now?: () => Date;
}

const BATCH_SIZE = 25;

/**
 * Brings cards in line with their replies: a reply whose card was never sent gets one, a reply
 * changed since its card was drawn (`card_version < version`) gets its card rewritten. Runs after
 * every change and on a timer, so a crash or a Telegram outage only delays cards. Runs are
 * serialised in-process so two triggers never send the same card twice.
 */
export function createCardSync(deps: CardSyncDeps): { sync(): Promise<number> } {
  async function once(): Promise<number> {
    const now = deps.now ?? (() => new Date());
    const stale = await deps.db
      .select({ reply: replies, post: posts })
      .from(replies)
      .innerJoin(posts, eq(posts.tweetId, replies.postTweetId))
      .where(or(isNull(replies.cardMessageId), lt(replies.cardVersion, replies.version)))
      .orderBy(asc(replies.id))
      .limit(BATCH_SIZE);
    if (stale.length === 0) return 0;
    const paused = await deps.pause.isPaused();
    let synced = 0;
    for (const { reply, post } of stale) {
      const view: CardView = {
        reply,
        post,
        paused,
        timeZone: deps.timeZone,
        accountUsername: deps.accountUsername(reply.accountId),
        now: now(),
      };
      try {
        // Known gap: a crash between this send and the UPDATE below sends the card again on the
        // next sync (Telegram cannot list a chat's messages to find it). The stale copy's buttons
        // still answer correctly ("Already published"), since every press checks the database.
        const messageId = reply.cardMessageId ?? (await deps.sink.send(view));
        if (reply.cardMessageId !== null) await deps.sink.update(reply.cardMessageId, view);
        await markCardDrawn(deps.db, reply.id, messageId, reply.version);
        synced++;
      } catch (error) {
        deps.logger.warn({ err: error, replyId: reply.id }, "card could not be sent or updated; will retry");
        break;
      }
    }
    return synced;
  }

  /** Batches until one comes back short (a full batch may have more behind it). */
  async function drain(): Promise<number> {
    let total = 0;
    let synced: number;
    do {
      synced = await once();
      total += synced;
    } while (synced === BATCH_SIZE);
    return total;
  }

  // A change that lands mid-sync may have missed this pass's SELECT: it must get a pass of its own.
  const sync = singleFlight(drain, { rerun: true, combine: (total, next) => total + next });
  return { sync };
}
