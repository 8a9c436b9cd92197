import { randomUUID } from "node:crypto";
import { and, asc, eq, lte } from "drizzle-orm";
import type { Database } from "../db/database.js";
import { replies } from "../db/schema.js";
import type { Logger } from "../logger.js";
import type { XAccountRow, XAccounts } from "./accounts.js";
import type { DeadLetterRecorder } from "./dead-letters.js";
import type { ReplyPolicy } from "./discovery.js";
import type { NoticeSink } from "./notices.js";
import { OptOutCache } from "./opt-out-cache.js";
import type { PauseSwitch } from "./pause.js";
import { KeyedQueue } from "../kit/keyed-queue.js";
import { createAccountChooser, type AccountStrategy } from "./publish/account-choice.js";
import { DEFAULT_MAX_ATTEMPTS, DEFAULT_RETRY_BASE_MS } from "./publish/decide-outcome.js";
import { accountLoads, createPacing } from "./publish/pacing.js";
import { createAttempt, type AttemptEnd, type AttemptResult } from "./publish/publish-claimed.js";
import type { CompletionRetries } from "./publish/completion-queue.js";
import { createOutcomeRecorder } from "./publish/record-outcome.js";
import { createMediaPrep } from "./publish/prepare-media.js";
import { createStrandedClaims } from "./publish/stranded-claims.js";
import { fixedRows, runRows, type RunRows } from "./publish/run-rows.js";
import type { MediaSource } from "./media/types.js";
import { markHeldCardsStale } from "./replies/card-state.js";
import { claimReplies, type Claim } from "./replies/claim-replies.js";
import { deferReply } from "./replies/defer-reply.js";
import { releaseClaims } from "./replies/release-claims.js";
import { quietHoursEnd } from "./schedule.js";
import type { RuntimeSettings, SettingsStore } from "./settings.js";

/** What the publisher needs. */
export interface PublisherDeps {
  readonly db: Database;
  readonly accounts: XAccounts;
  readonly pause: PauseSwitch;
  readonly settings: SettingsStore;
  readonly logger: Logger;
  readonly leaseSeconds: number;
  readonly replyPolicy: () => ReplyPolicy;
  /** Called after any reply changed, to bring its card up to date. */
  readonly onChange: () => Promise<unknown>;
  readonly maxAttempts?: number;
  /** Delay of the first retry after a failed attempt; each later one doubles it (default 30 s). */
  readonly retryBaseMs?: number;
  readonly now?: () => Date;
  readonly random?: () => number;
  /** IANA zone the quiet hours are read in (BOT_TIMEZONE; default UTC). */
  readonly timeZone?: string;
  /**
   * The dead-letter queue: every reply moved to `failed` is recorded there (in the same
   * transaction), and a published reply settles its open entry. Optional for tests of the publisher alone.
   */
  readonly deadLetters?: DeadLetterRecorder;
  /** False while the account's X circuit breaker is open: none of its replies is claimed. */
  readonly isAccountAvailable?: (accountId: number) => boolean;
  /** Told about every reply that failed (the publication_failed alert). */
  readonly notify?: NoticeSink;
  /** How free replies are spread over the accounts (ACCOUNT_STRATEGY; default round_robin). */
  readonly strategy?: AccountStrategy;
  /** Told after each attempt's outcome is written (a bulk batch's progress); must not wait for anything. */
  readonly onAttemptDone?: () => void;
  /** Where replies' attachments are downloaded from (the admin chat); without it a reply with media fails. */
  readonly mediaSource?: MediaSource;
  /** Replies published at once by this process (PUBLISH_CONCURRENCY; default 1): each lane claims for itself. */
  readonly concurrency?: number;
  /** How long a publish's completion waits for others to join its statement at most (default 20 ms). */
  readonly completionLingerMs?: number;
  /** How a completion's failed statement is tried again (default 4 times, 0.5 s doubling). */
  readonly completionRetries?: CompletionRetries;
  /** The opt-outs checked before each POST, shared with the watchlist that changes them (default: its own). */
  readonly optOuts?: OptOutCache;
}

/** Replies moved past quiet hours per run (a backlog moves over a few runs). */
const DEFER_BATCH = 500;
/** Claims of one account that found its row taken by another claim before it sits out the run. */
const BUSY_RETRIES = 3;
/**
 * Looks again when every due reply was locked (a card redraw's write on the row an approval just made due, or another
 * replica's claim): a few short waits, then the account counts as idle (the poll or a wake-up comes back for it).
 */
const LOCKED_RETRIES = 4;
const LOCKED_RETRY_MS = 25;

/** Counts of one publisher run. */
export interface PublishRunResult {
  published: number;
  failed: number;
  retrying: number;
}

/**
 * Publishes approved replies that are due, exactly once. A reply is claimed (status `publishing`,
 * a lease, a fresh attempt id recorded in `publish_attempts`) before X is called; every outcome is
 * written with a conditional UPDATE on that attempt id, so a worker whose lease was taken over
 * cannot overwrite a newer attempt. When an outcome is unknown (timeout, dropped connection, crash
 * while holding a claim, 403 duplicate content), the reply is flagged `needs_reconcile`, and the
 * next attempt first reads the account's own posts for a reply to that post: found → published with
 * that id, not found → posted again. This is what makes "never twice" hold. The failure rules are
 * `decidePublishOutcome` (publish/decide-outcome.ts); the moves are in replies/.
 *
 * Accounts are a pool: each claim goes to an account the strategy picks among those whose pacing
 * allows a post, and takes the next due reply that account may publish (bound to it or free, and not
 * pinned to another account by an unknown outcome), in priority-then-approval order. A reply whose
 * account goes down mid-run goes back at once, uncounted, for the others; with every account down,
 * every reply waits, and they drain in the same order when one returns.
 */
export function createPublisher(deps: PublisherDeps) {
  const { db, logger } = deps;
  const now = deps.now ?? (() => new Date());
  const random = deps.random ?? Math.random;
  const timeZone = deps.timeZone ?? "UTC";
  const pacing = createPacing({ db, now, random, isAccountAvailable: deps.isAccountAvailable });
  const chooser = createAccountChooser(deps.strategy ?? "round_robin", () => accountLoads(db, now()));
  let down = new Set<number>();
  /** The rows read at the end of the last run: the next run starts on them (see run-rows.ts). */
  let lastRows: readonly XAccountRow[] | undefined;
  const retryBaseMs = deps.retryBaseMs ?? DEFAULT_RETRY_BASE_MS;
  const outcomes = createOutcomeRecorder({
    db,
    logger,
    now,
    retryBaseMs,
    deadLetters: deps.deadLetters,
    notify: deps.notify,
    completionLingerMs: deps.completionLingerMs,
    completionRetries: deps.completionRetries,
  });
  const stranded = createStrandedClaims({ db, outcomes, now, logger });
  const optOuts = deps.optOuts ?? new OptOutCache(db);
  const publishClaimed = createAttempt({
    accounts: deps.accounts,
    replyPolicy: deps.replyPolicy,
    outcomes,
    pacing,
    now,
    maxAttempts: deps.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    retryBaseMs,
    prepareMedia: createMediaPrep({ db, mediaSource: deps.mediaSource, now }),
    stranded,
    optOuts,
  });

  /** Returns claims whose holder died to `approved`, to be reconciled first. */
  async function release(all: boolean): Promise<number> {
    const released = await releaseClaims(db, { all, now: now() });
    if (released.length > 0) logger.warn({ count: released.length }, "publish claims released for reconciliation");
    return released.length;
  }

  /**
   * Inside quiet hours every due approved reply (a retry, a rate-limit wait, a dead-letter retry, one
   * overdue after downtime or a pause) moves to the window's end plus its own jitter, so they do not
   * all go out on the same second. Resolves with how many moved.
   */
  async function deferDue(quietEnd: Date, settings: RuntimeSettings): Promise<number> {
    const current = now();
    const due = await db
      .select({ id: replies.id })
      .from(replies)
      .where(and(eq(replies.status, "approved"), lte(replies.scheduledAt, current)))
      .orderBy(asc(replies.status), asc(replies.scheduledAt), asc(replies.id))
      .limit(DEFER_BATCH);
    let moved = 0;
    for (const { id } of due) {
      const at = new Date(quietEnd.getTime() + Math.round(random() * settings.jitterSeconds * 1000));
      if (await deferReply(db, id, { at, now: current })) moved++;
    }
    if (moved > 0) logger.info({ count: moved, until: quietEnd.toISOString() }, "due replies moved past quiet hours");
    return moved;
  }

  /** Nothing is claimed inside quiet hours (checked before every claim; the claim itself checks the pause). */
  function inQuietHours(settings: RuntimeSettings): boolean {
    return quietHoursEnd(now(), settings.quietHours, timeZone) !== undefined;
  }

  /**
   * Publishes due replies while any account may post, in `concurrency` lanes. Each lane takes a claim for the
   * account the strategy picks (one reply, or a batch when no gap separates the account's posts) and publishes
   * it. An account that found nothing to claim sits out until a reply goes back to approved (another account's
   * hand-back may be free for it); one that may not post now (its gap, a limit), is down, rate limited or failed
   * at the database sits out the rest of the run. Pause and quiet hours are checked at every claim.
   */
  async function drain(rows: RunRows, settings: RuntimeSettings, result: PublishRunResult): Promise<boolean> {
    const stopped = new Set<number>();
    const idle = new Set<number>();
    const picking = new KeyedQueue();
    let changed = false;
    // Busy and locked answers in a row, per account: another account's answers must not use up this one's retries.
    const busy = new Map<number, number>();
    const locked = new Map<number, number>();
    const count = (answers: Map<number, number>, accountId: number) => {
      const n = (answers.get(accountId) ?? 0) + 1;
      answers.set(accountId, n);
      return n;
    };
    const forgetAnswers = (accountId: number) => {
      busy.delete(accountId);
      locked.delete(accountId);
    };

    /** The account the strategy picks for the next claim and whether it is the only one ready, or undefined: none is. */
    async function chooseAccount() {
      for (;;) {
        const ready = rows
          .current()
          .filter((row) => deps.accounts.get(row.id) && !stopped.has(row.id) && !idle.has(row.id) && pacing.looksReady(row));
        // The run ends only on its own read: the last run's rows may miss an account that became ready since.
        if (ready.length === 0 && !rows.settled) {
          await rows.settle();
          continue;
        }
        const row = await chooser.choose(ready);
        const account = row && deps.accounts.get(row.id);
        return account && { account, alone: ready.length === 1 };
      }
    }

    /**
     * The next claim of the run, or undefined when no account may claim any more. Accounts are chosen one at a time
     * (the strategy's turns); claims for different accounts run at once, for one account one after another.
     */
    async function nextClaims() {
      for (;;) {
        if (inQuietHours(settings)) return undefined;
        const chosen = await picking.run("choice", chooseAccount);
        if (!chosen) return undefined;
        const { account } = chosen;
        const request = { ...pacing.request(account.id, settings, { leaseSeconds: deps.leaseSeconds, alone: chosen.alone }), token: randomUUID() };
        const claiming = picking.run(`claim:${account.id}`, () => claimReplies(db, request));
        // The run's own read of the accounts goes out once this claim is answered and what it took is on its way to X
        // (see runRows); once it has arrived, later claims have nothing to start.
        if (!rows.settled) void claiming.finally(() => setImmediate(() => rows.begin())).catch(() => undefined);
        const batch = await claiming.catch((error: unknown) => {
          // It may have committed with only its answer lost: what it took goes back at the next run, not at its lease's end.
          stranded.holdUnanswered({ accountId: account.id, token: request.token });
          throw error;
        });
        if (batch.kind === "paused") return undefined;
        if (batch.kind === "claimed") {
          forgetAnswers(account.id);
          changed = true;
          return { account, batch };
        }
        if (batch.kind === "busy" && count(busy, account.id) < BUSY_RETRIES) continue;
        if (batch.kind === "locked" && count(locked, account.id) <= LOCKED_RETRIES) {
          await new Promise((resolve) => setTimeout(resolve, LOCKED_RETRY_MS));
          continue;
        }
        forgetAnswers(account.id);
        (batch.kind === "held" || batch.kind === "busy" ? stopped : idle).add(account.id);
      }
    }

    /** Counts one attempt's outcome, once written. */
    function tally(end: AttemptEnd): void {
      if (end === "published") result.published++;
      else if (end === "failed") result.failed++;
      else {
        result.retrying++;
        idle.clear();
      }
      deps.onAttemptDone?.();
    }

    /**
     * True (and the account stopped) when the attempt's account is out for the run: stopped, or its POST went out
     * and the gap its claim reserved is now running (a claim for it would only be told so).
     */
    function accountOut(attempt: AttemptResult, claim: Claim): boolean {
      const out = attempt.next === "stop_account" || (attempt.sent && (claim.hold?.gapMs ?? 0) > 0);
      if (out) stopped.add(claim.accountId);
      return out;
    }

    /**
     * Claims of a batch the account can no longer try in this run go back at once, uncounted (never attempted); when
     * the database fails that, they are kept to hand back at the next run.
     */
    async function handBack(claims: readonly Claim[]): Promise<void> {
      const reason = "handed back unattempted: its account stopped for this run";
      for (const [index, claim] of claims.entries()) {
        try {
          await outcomes.retryLater(claim, reason, { ambiguous: false, at: now(), uncounted: true });
        } catch {
          for (const kept of claims.slice(index)) stranded.hold({ claim: kept, reason, ambiguous: false, uncounted: true });
          return;
        }
      }
      if (claims.length > 0) idle.clear();
    }

    /** One lane: takes the run's next claim and publishes it, until no account may claim any more. */
    async function lane(): Promise<void> {
      for (;;) {
        const next = await nextClaims();
        if (!next) return;
        const { account, batch } = next;
        const ends: Promise<void>[] = [];
        for (const [index, claim] of batch.claims.entries()) {
          const attempt = await publishClaimed(account, claim, batch.identity);
          ends.push(attempt.end.then(tally));
          if (accountOut(attempt, claim)) {
            await handBack(batch.claims.slice(index + 1));
            break;
          }
        }
        // The batch's outcomes are written before the lane claims again: a lane never has more than a batch unwritten.
        outcomes.flushCompletions();
        await Promise.all(ends);
      }
    }

    await Promise.all(Array.from({ length: Math.max(1, deps.concurrency ?? 1) }, lane));
    return changed;
  }

  /**
   * Keeps the set of accounts out of the pool (breaker open, session rejected) and redraws the
   * cards of the replies held to an account whose state flipped, so they say whom they wait for.
   * Resolves true when some card was marked for a redraw.
   */
  async function noticeDownAccounts(): Promise<boolean> {
    const rows = await deps.accounts.rows();
    lastRows = rows;
    const nowDown = new Set(rows.filter((row) => !pacing.isUp(row)).map((row) => row.id));
    const flipped = rows.map((row) => row.id).filter((id) => nowDown.has(id) !== down.has(id));
    down = nowDown;
    return flipped.length > 0 && (await markHeldCardsStale(db, flipped)) > 0;
  }

  return {
    /**
     * Boot recovery: with an exclusive database (PGlite, one process) every claim left in
     * `publishing` belongs to a dead process; with a shared server only expired leases do.
     */
    recoverClaims(exclusive: boolean): Promise<number> {
      return release(exclusive);
    },

    /** Whether the account was out of the pool (breaker open, session rejected) at the end of the last run. */
    isAccountDown(accountId: number): boolean {
      return down.has(accountId);
    },

    /**
     * One pass: publish due replies over the pool of accounts, within limits, then release dead claims (and publish
     * what they gave back). The run starts on the account rows the last run read at its end while its own read is
     * in flight (run-rows.ts), the settings are cached, and the pause is read by each claim itself: a wake-up's first
     * claim waits for no read, only for the claims a database failure kept in this process, when there are any.
     */
    async runOnce(): Promise<PublishRunResult> {
      const result: PublishRunResult = { published: 0, failed: 0, retrying: 0 };
      let changed = false;
      // Read again in this run, at its first check: an opt-out a wake-up did not announce is seen by the next run.
      optOuts.invalidate();
      const [rows, settings, handedBack] = await Promise.all([runRows(lastRows, () => deps.accounts.rows()), deps.settings.current(), stranded.handBackAll()]);
      if (handedBack > 0) changed = true;
      const quietEnd = quietHoursEnd(now(), settings.quietHours, timeZone);
      if (quietEnd) {
        if (!(await deps.pause.isPaused()) && (await deferDue(quietEnd, settings)) > 0) changed = true;
      } else if (await drain(rows, settings, result)) {
        changed = true;
      }
      // A dead claim is released even while paused: it goes back to approved, where the pause holds it.
      if ((await release(false)) > 0) {
        changed = true;
        if (!quietEnd) await drain(fixedRows(await deps.accounts.rows()), settings, result);
      }
      if (await noticeDownAccounts()) changed = true;
      if (changed) await deps.onChange();
      return result;
    },
  };
}

/** The publisher's interface. */
export type Publisher = ReturnType<typeof createPublisher>;
