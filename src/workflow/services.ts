import type { Drafter } from "../ai/types.js";
import type { Config } from "../config.js";
import type { DatabaseHandle } from "../db/database.js";
import type { WakeSignal } from "../db/notifications.js";
import { singleFlight } from "../kit/single-flight.js";
import type { Logger } from "../logger.js";
import type { XAccountClient } from "../x/types.js";
import { createAccountMonitor } from "./account-monitor.js";
import { XAccounts } from "./accounts.js";
import { createBulkApproval } from "./bulk/batches.js";
import { createBatchProgress, type BatchMessageSink } from "./bulk/progress.js";
import { createCardSync, type CardSink } from "./card-sync.js";
import { runDiscovery } from "./discovery.js";
import { runDrafting } from "./drafting.js";
import type { NoticeSink } from "./notices.js";
import { PauseSwitch } from "./pause.js";
import { createDeadLetters, type DeadLetter, type DeadLetterSummary } from "./dead-letters.js";
import { createPublisher } from "./publisher.js";
import { inspectForRecovery, type RecoveryFindings } from "./recovery.js";
import { createReview } from "./review.js";
import type { MediaSource } from "./media/types.js";
import type { MediaLimits } from "./media/validate.js";
import { SettingsStore } from "./settings.js";
import { createStatsView } from "./stats.js";
import { createTraceView } from "./trace.js";
import { OptOutCache } from "./opt-out-cache.js";
import { Watchlist } from "./watchlist.js";

/** Names of the scheduled jobs of the reply workflow. */
export const JOBS = {
  discovery: "discovery",
  publish: "publish",
  maintenance: "maintenance",
  deadLetters: "dead_letters",
  accountHealth: "account_health",
} as const;

/**
 * Every 5 seconds: the account health monitor's tick. Each account is looked at once per
 * ACCOUNT_HEALTH_INTERVAL_SECONDS (and at once after its status changed), whatever the tick.
 */
export const ACCOUNT_HEALTH_CRON = "*/5 * * * * *";

/** Every minute: expire old drafts, retry drafts the AI could not make, redraw stale cards. */
export const MAINTENANCE_CRON = "30 * * * * *";

/** The reply workflow's services, wired to one database. */
export async function createWorkflow(deps: {
  config: Config;
  database: DatabaseHandle;
  logger: Logger;
  xClients: ReadonlyMap<string, XAccountClient>;
  drafter: Drafter | undefined;
  cardSink: CardSink;
  /** Where a bulk batch's progress message is edited (none: batches run without one). */
  batchSink?: BatchMessageSink;
  /** Runs the publish job now (one publish run at a time keeps the pacing). */
  publishNow: () => Promise<unknown>;
  /**
   * With replicas on one database: the `publish` wake-up an approval's statement sends at its commit, and how to run
   * this replica's publisher alone after it (`publishNow` would wake the others a second time).
   */
  approvalWake?: { readonly signal: WakeSignal; readonly publishHere: () => Promise<unknown> };
  /** A dead letter gave up (the dlq_exhausted alert). */
  onDeadLetterExhausted: (entry: DeadLetter) => void;
  /** Whether the X account with this label may be called (its breaker is not resting). */
  isXAvailable: (label: string) => boolean;
  /** Since when the X breaker of the account with this label has not been closed (undefined while closed). */
  xBreakerDownSince?: (label: string) => Date | undefined;
  /** Receives what the workflow reports (rate limits, failed publishes and drafts, sessions). */
  notify?: NoticeSink;
  /** Where replies' attachments are downloaded from at publish time (the admin chat). */
  mediaSource?: MediaSource;
  /** What an attachment may weigh besides X's limits (the chat's download limit). */
  mediaLimits?: MediaLimits;
  /** Whether this replica leads (draws the cards); default always. */
  isLeader?: () => boolean;
  /** Tells the other replicas, after the commit, that replies changed here (the leader redraws), or settings or opt-outs did. */
  announce?: (change: "cards" | "settings" | "optouts") => void;
}) {
  const { config, logger } = deps;
  const db = deps.database.db;
  const settings = new SettingsStore(db, config.defaults, { onChange: () => deps.announce?.("settings") });
  const optOuts = new OptOutCache(db);
  const watchlist = new Watchlist(db, {
    redrawCards: () => redrawCards(),
    optOutsChanged: () => {
      optOuts.invalidate();
      deps.announce?.("optouts");
    },
  });
  // After a committed change that matters to a card, the workflow wakes the publisher first (it
  // must not wait on Telegram), then redraws the cards in the background; the buttons only answer.
  const wakePublisher = () => void deps.publishNow();
  const redrawCards = () => void cards.sync().catch((error: unknown) => logger.warn({ err: error }, "card sync failed; the next one retries"));
  const pause = new PauseSwitch(db, { wakePublisher, redrawCards });
  const accounts = await XAccounts.register(db, deps.xClients, deps.notify);
  const usernames = new Map((await accounts.rows()).map((row) => [row.id, row.username ?? undefined]));
  const cardSync = createCardSync({
    db,
    sink: deps.cardSink,
    pause,
    logger,
    timeZone: config.timeZone,
    accountUsername: (id) => usernames.get(id),
    isAccountDown: (id) => publisher.isAccountDown(id),
    notify: deps.notify,
  });
  // Only the leader draws cards: two replicas syncing at once could both send a card never sent (two cards for one
  // post). A change a stand-by makes (it publishes too) is announced, and the leader draws it at once.
  const cards = {
    sync(): Promise<number> {
      if (deps.isLeader?.() !== false) return cardSync.sync();
      deps.announce?.("cards");
      return Promise.resolve(0);
    },
  };
  const review = createReview({
    db,
    logger,
    settings,
    drafter: deps.drafter,
    timeZone: config.timeZone,
    wakePublisher,
    approvalWake: deps.approvalWake && { signal: deps.approvalWake.signal, wakeHere: () => void deps.approvalWake?.publishHere() },
    redrawCards,
    // The publisher is created below; it is only asked when an admin presses the button.
    isAccountDown: (id) => publisher.isAccountDown(id),
    mediaLimits: deps.mediaLimits,
  });
  const batchProgress = createBatchProgress({ db, logger, sink: deps.batchSink ?? { show: () => Promise.resolve() } });
  const bulk = createBulkApproval({
    db,
    accounts,
    settings,
    progress: batchProgress,
    strategy: config.x.accountStrategy,
    timeZone: config.timeZone,
    wakePublisher,
    redrawCards,
  });
  const deadLetters = createDeadLetters({
    db,
    logger,
    settings: config.deadLetters,
    publisher: { runOnce: deps.publishNow },
    onExhausted: deps.onDeadLetterExhausted,
    onChange: () => cards.sync(),
    pause,
  });
  const publisher = createPublisher({
    db,
    accounts,
    pause,
    settings,
    logger,
    leaseSeconds: config.publishLeaseSeconds,
    concurrency: config.publishConcurrency,
    replyPolicy: () => config.replyPolicy,
    onChange: () => {
      batchProgress.poke();
      return cards.sync();
    },
    onAttemptDone: () => batchProgress.poke(),
    retryBaseMs: config.publishRetryBaseSeconds * 1000,
    timeZone: config.timeZone,
    optOuts,
    deadLetters,
    notify: deps.notify,
    strategy: config.x.accountStrategy,
    mediaSource: deps.mediaSource,
    isAccountAvailable: (id) => {
      const label = accounts.get(id)?.label;
      return label === undefined || deps.isXAvailable(label);
    },
  });
  const monitor = createAccountMonitor({
    accounts,
    logger,
    intervalMs: config.sessions.health.intervalSeconds * 1000,
    failAfterMs: config.sessions.health.failAfterSeconds * 1000,
    breakerDownSince: (account) => deps.xBreakerDownSince?.(account.label),
    wakePublisher,
  });
  // One drafting pass at a time (discovery and maintenance both draft): the spend caps are counted before each
  // AI call, so two passes at once could both pass the last free slot.
  const draft = singleFlight(() =>
    runDrafting({
      db,
      drafter: deps.drafter,
      settings,
      watchlist,
      pause,
      logger,
      draftTtlHours: config.draftTtlHours,
      maxAttempts: config.drafting.maxAttempts,
      caps: { perAuthorPerDay: config.drafting.maxPerAuthorPerDay, perDay: config.drafting.maxPerDay },
      notify: deps.notify,
    }),
    // A call during a pass (new posts from discovery) gets one more pass rather than waiting for the next job.
    { rerun: true, combine: (total, next) => [...total, ...next] },
  );

  return {
    settings,
    optOuts,
    watchlist,
    pause,
    accounts,
    cards,
    review,
    bulk,
    batchProgress,
    publisher,
    deadLetters,
    monitor,
    /** The read services of /stats and /trace, for the Telegram features. */
    views: { stats: createStatsView(db), trace: createTraceView(db) },
    /**
     * Boot recovery: count what a crash left half-done, release claims of a dead process (they
     * are reconciled with X before any new POST). Database work only, so it is quick; the cards
     * left behind are sent by the card sync that follows. Overdue approved replies are left to the
     * publisher, which keeps their order and pacing.
     */
    async recover(): Promise<{ findings: RecoveryFindings; releasedClaims: number; deadLetters: DeadLetterSummary }> {
      const findings = await inspectForRecovery(db, new Date());
      const releasedClaims = await publisher.recoverClaims(deps.database.kind === "pglite");
      return { findings, releasedClaims, deadLetters: await deadLetters.summary() };
    },
    /** Discovery job: find posts, draft replies, send their cards. */
    async discoverAndDraft(): Promise<void> {
      await runDiscovery({
        db,
        accounts,
        watchlist,
        pause,
        logger,
        replyPolicy: () => config.replyPolicy,
        mentionsEnabled: config.discovery.mentions,
      });
      for (const row of await accounts.rows()) usernames.set(row.id, row.username ?? undefined);
      await draft();
      await cards.sync();
    },
    /** Maintenance job: expire drafts, retry failed drafts, bring cards up to date. */
    async maintain(): Promise<void> {
      await review.expireDrafts();
      await draft();
      await cards.sync();
      // A batch whose last reply left the way (expired, opted out) is finished here.
      batchProgress.poke();
    },
  };
}

/** The workflow's interface. */
export type Workflow = Awaited<ReturnType<typeof createWorkflow>>;
