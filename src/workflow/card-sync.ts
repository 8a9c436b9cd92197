import { and, asc, eq, isNull, lt, or } from "drizzle-orm";
import type { Database } from "../db/database.js";
import { posts, replies } from "../db/schema.js";
import type { Logger } from "../logger.js";
import type { Post } from "./drafting.js";
import type { PauseSwitch } from "./pause.js";
import type { NoticeSink } from "./notices.js";
import { forgetCardSend, markCardDrawn, markCardFailed, markCardSending } from "./replies/card-state.js";
import { requiredAccount } from "./replies/claim-replies.js";
import type { Reply } from "./reply-states.js";
import { rootMessage } from "../kit/error-chain.js";
import { singleFlight } from "../kit/single-flight.js";
import { clip } from "../text/clip.js";

/** Everything a card shows: the reply, its post, and the context it is shown in. */
export interface CardView {
  readonly reply: Reply;
  readonly post: Post;
  readonly timeZone: string;
  readonly paused: boolean;
  /** The X username that publishes the reply, when known. */
  readonly accountUsername: string | undefined;
  readonly now: Date;
  /**
   * Set while an approved reply can go out only from one account and that account is out of the
   * pool: the account (@username, or its id) and why only it (`bound`: the post summoned it;
   * `unconfirmed`: its last attempt may have posted, and only it can check).
   */
  readonly waitingFor?: { readonly account: string; readonly why: "bound" | "unconfirmed" };
}

/**
 * Where cards live (the admin chat); implemented by the Telegram side. A sink throws
 * {@link CardSinkUnavailableError} when no card can go out now (network, 5xx, 429, the chat or the
 * token refused); anything else it throws means this one card was refused.
 */
export interface CardSink {
  /** Posts a new card; resolves with its message id. */
  send(view: CardView): Promise<number>;
  /** Rewrites an existing card in place (identical content counts as success). */
  update(messageId: number, view: CardView): Promise<void>;
}

/**
 * The sink cannot deliver any card now: card sync stops this pass and the next one retries. `mayHaveSent` is set
 * when the request may still have reached Telegram (no answer came back), so a send may have delivered the card.
 */
export class CardSinkUnavailableError extends Error {
  /** The request got no answer: Telegram may have delivered it all the same. */
  readonly mayHaveSent: boolean;
  constructor(message: string, options?: { cause?: unknown; mayHaveSent?: boolean }) {
    super(message, options);
    this.name = "CardSinkUnavailableError";
    this.mayHaveSent = options?.mayHaveSent ?? false;
  }
}

/** The sink delivered nothing because Telegram refused this very card (e.g. 400 "message is too long"). */
export class CardRefusedError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "CardRefusedError";
  }
}

/** How much of a refusal's text is kept on the reply and in the alert. */
const REFUSAL_REASON_MAX = 300;

/** What card sync needs. */
export interface CardSyncDeps {
  readonly db: Database;
  readonly sink: CardSink;
  readonly pause: PauseSwitch;
  readonly logger: Logger;
  readonly timeZone: string;
  readonly accountUsername: (accountId: number) => string | undefined;
  /** Whether the account is out of the pool now (breaker open, session rejected); default never. */
  readonly isAccountDown?: (accountId: number) => boolean;
  readonly now?: () => Date;
  /** Told when a card is refused and marked failed (the card_failed alert). */
  readonly notify?: NoticeSink;
}

const BATCH_SIZE = 25;

/** What one batch of card sync did. */
interface PassResult {
  /**
   * Rows looked at (drawn or marked failed): a full batch may have more behind it. A pass the sink
   * stopped (unavailable) always comes back short, since the row it stopped at is not counted.
   */
  readonly handled: number;
  readonly drawn: number;
}

/**
 * Brings cards in line with their replies: a reply whose card was never sent gets one, a reply
 * changed since its card was drawn (`card_version < version`) gets its card rewritten. Runs after
 * every change and on a timer, so a crash or a Telegram outage only delays cards. Runs are
 * serialised in-process so two triggers never send the same card twice.
 *
 * One card never holds up the others: a card Telegram refuses is marked failed with the reason
 * (`card_failed_version`, skipped until the reply changes again), reported through `notify`, and
 * the pass goes on. Only an unavailable sink (Telegram down for every card) stops the pass.
 *
 * A send that may have reached the chat without its id being stored (a crash, or no answer) is counted on the
 * reply (`card_sends`), so the card sent again says an earlier copy may be above, and a warning is logged.
 */
export function createCardSync(deps: CardSyncDeps): { sync(): Promise<number> } {
  const now = deps.now ?? (() => new Date());

  /** Whom an approved reply waits for, when only one account may publish it and that account is down. */
  function waitingFor(reply: Reply): CardView["waitingFor"] {
    const holder = requiredAccount(reply);
    if (reply.status !== "approved" || holder === null || !deps.isAccountDown?.(holder)) return undefined;
    const username = deps.accountUsername(holder);
    return { account: username ? `@${username}` : `account #${holder}`, why: reply.boundAccountId === null ? "unconfirmed" : "bound" };
  }

  async function once(): Promise<PassResult> {
    const stale = await deps.db
      .select({ reply: replies, post: posts })
      .from(replies)
      .innerJoin(posts, eq(posts.tweetId, replies.postTweetId))
      .where(
        and(
          or(isNull(replies.cardMessageId), lt(replies.cardVersion, replies.version)),
          or(isNull(replies.cardFailedVersion), lt(replies.cardFailedVersion, replies.version)),
        ),
      )
      .orderBy(asc(replies.id))
      .limit(BATCH_SIZE);
    if (stale.length === 0) return { handled: 0, drawn: 0 };
    const paused = await deps.pause.isPaused();
    let handled = 0;
    let drawn = 0;
    for (const { reply, post } of stale) {
      let view: CardView = {
        reply,
        post,
        paused,
        timeZone: deps.timeZone,
        accountUsername: reply.accountId === null ? undefined : deps.accountUsername(reply.accountId),
        now: now(),
        waitingFor: waitingFor(reply),
      };
      let messageId: number;
      try {
        if (reply.cardMessageId === null) {
          // Telegram has no idempotent send and cannot list a chat's messages: a crash between this send and
          // markCardDrawn below leaves a card in the chat whose id is lost. The send is counted first, so the
          // next sync knows and its card says an earlier copy may be above; a press on that copy adopts it
          // (no id stored yet) or marks it superseded (review's cardPress).
          const sends = await markCardSending(deps.db, reply.id);
          if (sends === undefined) {
            handled++; // a press adopted a card meanwhile: a later pass redraws it if it is stale
            continue;
          }
          if (sends > 1) {
            deps.logger.warn({ trace: reply.postTweetId, replyId: reply.id, sends }, "card sent again: an earlier send may have reached the chat (a restart or a lost answer)");
          }
          view = { ...view, reply: { ...reply, cardSends: sends } };
          messageId = await deps.sink.send(view);
        } else {
          messageId = reply.cardMessageId;
          await deps.sink.update(messageId, view);
        }
      } catch (error) {
        const undelivered = error instanceof CardRefusedError || (error instanceof CardSinkUnavailableError && !error.mayHaveSent);
        if (reply.cardMessageId === null && undelivered) await forgetCardSend(deps.db, reply.id);
        if (error instanceof CardSinkUnavailableError) {
          deps.logger.warn({ err: error, trace: reply.postTweetId, replyId: reply.id }, "Telegram unavailable for cards; the next sync retries");
          return { handled, drawn };
        }
        const reason = clip(error instanceof CardRefusedError ? error.message : rootMessage(error), REFUSAL_REASON_MAX);
        deps.logger.error({ err: error, trace: reply.postTweetId, replyId: reply.id }, "card refused; marked failed, the next cards go on");
        await markCardFailed(deps.db, reply.id, reply.version, reason, now());
        deps.notify?.({ kind: "card_failed", replyId: reply.id, reason });
        handled++;
        continue;
      }
      await markCardDrawn(deps.db, reply.id, messageId, reply.version);
      if (reply.cardMessageId === null) deps.logger.info({ trace: reply.postTweetId, replyId: reply.id, messageId }, "card sent");
      handled++;
      drawn++;
    }
    return { handled, drawn };
  }

  /** Batches until one comes back short (a full batch may have more behind it) or the sink is unavailable. */
  async function drain(): Promise<number> {
    let total = 0;
    let pass: PassResult;
    do {
      pass = await once();
      total += pass.drawn;
    } while (pass.handled === BATCH_SIZE);
    return total;
  }

  // A change that lands mid-sync may have missed this pass's SELECT: it must get a pass of its own.
  const sync = singleFlight(drain, { rerun: true, combine: (total, next) => total + next });
  return { sync };
}
