import type { RunOptions } from "@grammyjs/runner";
import { Api, type Bot } from "grammy";
import type { Update, UserFromGetMe } from "grammy/types";
import type { AddressInfo } from "node:net";
import type { Config } from "./config.js";
import { telegramDownloadLimitBytes } from "./config/telegram.js";
import type { BotContext } from "./bot/context.js";
import { createBot } from "./bot/index.js";
import { runnerOptions } from "./bot/polling.js";
import { acquireDataDirLock } from "./db/data-dir-lock.js";
import type { DatabaseHandle } from "./db/database.js";
import { openDatabase } from "./db/open-database.js";
import { createHealthService, TelegramActivity, type HealthService } from "./health/health-service.js";
import { readVersion } from "./health/version.js";
import { HttpServer } from "./http/server.js";
import { registerHealthRoutes } from "./http/health-routes.js";
import { Scheduler } from "./lifecycle/scheduler.js";
import { startLeaderDuties } from "./lifecycle/leader-duties.js";
import { approvalWakeOf, wakeupsFromConfig } from "./lifecycle/wakeups.js";
import { underDatabasePolicy } from "./lifecycle/guarded-job.js";
import type { Leadership } from "./lifecycle/leader.js";
import { leadershipFromConfig, recoverAsLeader } from "./replica.js";
import { createUpdateIntake } from "./update-intake.js";
import type { Logger } from "./logger.js";
import { registerAlertRoutes } from "./http/alerts-routes.js";
import { registerOAuthRoutes } from "./http/oauth-routes.js";
import { registerDashboardRoutes } from "./http/dashboard/routes.js";
import {
  alertFromBreaker,
  alertFromDeadLetter,
  alertFromNotice,
  createAlerting,
  createTelegramAlertSender,
  SUGGESTED_LEVELS,
} from "./alerts/index.js";
import { withTimeout } from "./resilience/deadline.js";
import { registerHealthComponents } from "./health/components.js";
import { buildHealthDigest } from "./health/digest.js";
import { createMetrics } from "./http/metrics.js";
import { AiActivity } from "./resilience/ai-guard.js";
import { databaseBreakerStore } from "./resilience/breaker-store.js";
import { xPolicyName } from "./resilience/policy-names.js";
import { ResilienceRegistry } from "./resilience/registry.js";
import { policySettingsFromConfig } from "./resilience/settings.js";
import { createTelegramBatchSink } from "./bot/cards/batch-sink.js";
import { createTelegramCardSink } from "./bot/cards/card-sink.js";
import { createTelegramApi } from "./bot/api.js";
import { createTelegramMediaSource } from "./bot/media/telegram-media-source.js";
import { createConversationStorage } from "./bot/conversations/storage.js";
import { drafterFromConfig, secretBoxFromConfig, xClientFactory, xClientsFromConfig, xOAuth2AppFromConfig } from "./integrations.js";
import { loadStoredAccounts, type AccountStore } from "./workflow/account-store.js";
import { wireAccountPool } from "./account-pool.js";
import { startSessionRecovery, type SessionRecovery } from "./workflow/session-recovery.js";
import type { WorkflowNotice } from "./workflow/notices.js";
import { createOAuth2Connect } from "./workflow/oauth2-connect.js";
import { createQueueView } from "./workflow/queue-view.js";
import { createAccountAdmin } from "./workflow/account-admin.js";
import { createAccountsView } from "./workflow/accounts-view.js";
import { ACCOUNT_HEALTH_CRON, createWorkflow, JOBS, MAINTENANCE_CRON, type Workflow } from "./workflow/services.js";

/** Name of the daily health digest job. */
export const HEALTH_DIGEST_JOB = "health_digest";

/** Name of the alert outbox delivery job. */
export const ALERTS_JOB = "alerts";

/** Test seams: a pre-opened database, a fixed bot identity, runner settings. */
export interface AppOverrides {
  readonly database?: DatabaseHandle;
  readonly botInfo?: UserFromGetMe;
  readonly runnerOptions?: RunOptions<Update>;
}

/** A running bot process: database, bot, scheduler and HTTP server. */
export interface App {
  readonly database: DatabaseHandle;
  readonly bot: Bot<BotContext>;
  readonly health: HealthService;
  readonly workflow: Workflow;
  readonly scheduler: Scheduler;
  readonly registry: ResilienceRegistry;
  /** Stores, disables, enables and removes X accounts (for `/accounts`). */
  readonly accountStore: AccountStore;
  /** The boot verification of the X accounts, while SESSION_RECOVERY_ENABLED, once this process led. */
  readonly sessionRecovery: SessionRecovery | undefined;
  /** Whether this replica leads (polls Telegram, runs the leader-only jobs) or stands by. */
  readonly leadership: Leadership;
  readonly httpAddress: AddressInfo;
  /** Stops taking updates, drains in-flight work, stops jobs and closes everything. */
  stop(): Promise<void>;
}

/** Lists, for the boot log and /health, the optional integrations that are not configured (`xAccounts`: env and stored). */
export function missingIntegrations(config: Config, xAccounts = config.x.accounts.length): string[] {
  const missing: string[] = [];
  if (xAccounts === 0) missing.push("X account (X_APP_KEY, X_APP_SECRET, X_ACCESS_TOKEN, X_ACCESS_SECRET)");
  if (!config.openai.apiKey) missing.push("AI provider (OPENAI_API_KEY)");
  return missing;
}

/**
 * Boots the application in order: data-dir lock → database → migrations → bot polling → jobs →
 * HTTP. `onFatal` is called when something later makes the process unable to run (e.g. the bot
 * token is revoked); the caller decides to stop.
 */
export async function startApp(
  config: Config,
  logger: Logger,
  onFatal: (error: Error) => void,
  overrides: AppOverrides = {},
): Promise<App> {
  const cleanups: (() => Promise<void> | void)[] = [];
  const runCleanups = async () => {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        logger.error({ err: error }, "cleanup step failed");
      }
    }
  };
  try {
    let database = overrides.database;
    if (!database) {
      if (config.database.url === undefined) cleanups.push(acquireDataDirLock(config.database.dataDir));
      database = await openDatabase(config, logger);
      const opened = database;
      cleanups.push(() => opened.close());
    }
    const migrateStarted = performance.now();
    await database.migrate();
    logger.info({ kind: database.kind, ms: Math.round(performance.now() - migrateStarted) }, "database ready");

    const registry = new ResilienceRegistry(policySettingsFromConfig(config), databaseBreakerStore(database.db), logger);
    const restoredBreakers = await registry.restore().catch((error: unknown) => {
      logger.warn({ err: error }, "could not restore breaker states; starting closed");
      return 0;
    });
    const dbPolicy = registry.policy("db", "db");
    // Stored accounts join the env ones in the pool; their credentials are opened (and re-sealed after a key rotation) here.
    const secretBox = secretBoxFromConfig(config, logger, { keyFileAllowed: !overrides.database && database.kind === "pglite" });
    const stored = await loadStoredAccounts(database.db, secretBox);
    if (stored.resealed > 0) logger.info({ accounts: stored.resealed }, "stored X credentials sealed again with the current ENCRYPTION_KEY");

    const telegramActivity = new TelegramActivity();
    const leadership = leadershipFromConfig(config, logger);
    const metrics = createMetrics({ db: database.db, registry, isLeader: () => leadership.isLeader() });
    const alerting = createAlerting({
      db: database.db,
      config,
      logger,
      // A plain Api, not bot.api: auto-retry would sit out a 429 instead of moving on to the fallback channel.
      telegram: createTelegramAlertSender(new Api(config.telegram.token, { apiRoot: config.telegram.apiRoot }), config.adminChatId),
      onDelivery: (channel, outcome) => metrics.alertDelivery(channel, outcome),
    });
    registry.onChange((event) => {
      const alert = alertFromBreaker(event);
      if (alert) void alerting.raise(alert);
    });
    const notify = (notice: WorkflowNotice) => void alerting.raise(alertFromNotice(notice, config.timeZone));
    const oauth2App = xOAuth2AppFromConfig(config);
    // Stored OAuth 2.0 sessions are renewed by their clients; that needs the app and the key. The pool is built
    // below from those clients; a session is renewed only when one of them calls X, once the pool exists.
    const oauth2Sessions =
      oauth2App && secretBox ? { db: database.db, box: secretBox, app: oauth2App, accounts: () => workflow.accounts } : undefined;
    const aiActivity = new AiActivity();
    const health = createHealthService({
      database,
      telegram: telegramActivity,
      version: readVersion(),
      startedAt: new Date(),
      timeZone: config.timeZone,
      isLeader: () => leadership.isLeader(),
    });
    const scheduler = new Scheduler(logger);
    const wakeups = wakeupsFromConfig(config, scheduler, JOBS.publish, logger);
    const workflow = await createWorkflow({
      config,
      database,
      logger,
      xClients: xClientsFromConfig(config, registry, stored.accounts, oauth2Sessions),
      drafter: drafterFromConfig(config, registry, aiActivity),
      cardSink: createTelegramCardSink(createTelegramApi(config.telegram, telegramActivity), config.adminChatId),
      batchSink: createTelegramBatchSink(createTelegramApi(config.telegram, telegramActivity), config.timeZone),
      publishNow: () => wakeups.publishNow(),
      approvalWake: approvalWakeOf(wakeups),
      onDeadLetterExhausted: (entry) => void alerting.raise(alertFromDeadLetter(entry)),
      notify,
      isXAvailable: (label) => registry.policy(xPolicyName(label), "x").isAvailable(),
      xBreakerDownSince: (label) => registry.policy(xPolicyName(label), "x").downSince,
      mediaSource: createTelegramMediaSource({
        api: createTelegramApi(config.telegram, telegramActivity),
        apiRoot: config.telegram.apiRoot,
        token: config.telegram.token,
      }),
      mediaLimits: { downloadLimitBytes: telegramDownloadLimitBytes(config.telegram) },
      isLeader: () => leadership.isLeader(),
      announce: (change) => wakeups.announce(change),
    });
    const { store: accountStore, sync: accountSync, onPoolChanged } = wireAccountPool({
      db: database.db, accounts: workflow.accounts, box: secretBox, makeClient: xClientFactory(config, registry, oauth2Sessions),
      resetBreaker: (label) => registry.reset(xPolicyName(label)), wakeups, cards: workflow.cards, logger, opened: stored.accounts,
    });
    const oauth2Connect = createOAuth2Connect({
      db: database.db,
      app: oauth2App,
      missing: config.xOAuth2.missing,
      box: secretBox,
      store: accountStore,
      onPoolChanged,
      // bot is built below; the callback only comes once the HTTP server listens.
      tellAdmins: async (html) => {
        await bot.api.sendMessage(config.adminChatId, html, { parse_mode: "HTML" });
      },
    });
    const accountsView = createAccountsView({ db: database.db, accounts: workflow.accounts, settings: workflow.settings });
    const bot = createBot({
      config,
      logger,
      telegramActivity,
      botInfo: overrides.botInfo,
      // Sealed with the accounts' key: the /accounts add conversation replays messages that hold credentials.
      conversationStorage: createConversationStorage(database.db, secretBox),
      isDatabaseDown: () => dbPolicy.state === "open",
      onUpdate: () => metrics.updateHandled(),
      onRefused: () => metrics.updateRefused(),
      services: {
        review: workflow.review,
        queue: createQueueView(database.db),
        bulk: workflow.bulk,
        ...workflow.views,
        deadLetters: workflow.deadLetters,
        watchlist: workflow.watchlist,
        pause: workflow.pause,
        settings: workflow.settings,
        health,
        breakers: registry,
        alerts: alerting,
        accounts: accountsView,
        accountAdmin: createAccountAdmin({
          db: database.db,
          store: accountStore,
          accounts: workflow.accounts,
          canStore: secretBox !== undefined,
          onPoolChanged,
        }),
        oauth2Connect,
      },
    });
    registerHealthComponents(health, {
      config,
      db: database.db,
      accounts: workflow.accounts,
      registry,
      aiActivity,
      deadLetters: workflow.deadLetters,
      pause: workflow.pause,
      scheduler,
      leadership,
    });
    const guarded = underDatabasePolicy(dbPolicy, logger);
    // Leader-only: what must happen once per database (see ARCHITECTURE.md, "Replicas"). Every replica publishes
    // and works the DLQ: both claim with FOR UPDATE SKIP LOCKED.
    const leaderOnly = { leaderOnly: true };
    scheduler.add(JOBS.discovery, config.discovery.cron, guarded(JOBS.discovery, () => workflow.discoverAndDraft()), leaderOnly);
    // The poll also retries an account reload that failed (the wake-up that asked for it is gone).
    scheduler.add(JOBS.publish, config.publishCron, guarded(JOBS.publish, () => accountSync.catchUp().then(() => workflow.publisher.runOnce())));
    scheduler.add(JOBS.maintenance, MAINTENANCE_CRON, guarded(JOBS.maintenance, () => workflow.maintain()), leaderOnly);
    scheduler.add(JOBS.accountHealth, ACCOUNT_HEALTH_CRON, guarded(JOBS.accountHealth, () => workflow.monitor.runOnce()), leaderOnly);
    scheduler.add(JOBS.deadLetters, config.deadLetters.cron, guarded(JOBS.deadLetters, () => workflow.deadLetters.runDue()));
    scheduler.add(ALERTS_JOB, config.alerts.cron, guarded(ALERTS_JOB, () => alerting.deliverDue()), leaderOnly);
    if (config.alerts.digestCron !== "") {
      scheduler.add(
        HEALTH_DIGEST_JOB,
        config.alerts.digestCron,
        guarded(HEALTH_DIGEST_JOB, async () => {
          const digest = await buildHealthDigest({ db: database.db, health, timeZone: config.timeZone });
          await bot.api.sendMessage(config.adminChatId, digest, { parse_mode: "HTML" });
        }),
        { timezone: config.timeZone, leaderOnly: true },
      );
    }
    const pollOptions = overrides.runnerOptions ?? runnerOptions(config.telegram.pollTimeoutSeconds);
    const intake = createUpdateIntake({ config, bot, database, logger, runnerOptions: pollOptions, onFatal });
    const polling = intake.leaderSwitch;
    let sessionRecovery: SessionRecovery | undefined;
    const duties = startLeaderDuties({
      leadership,
      scheduler,
      polling,
      logger,
      onFirstLead: async () => {
        await recoverAsLeader({ config, logger, workflow, alerting, registry, bot, restoredBreakers });
        // Delayed by SESSION_RECOVERY_STARTUP_DELAY_MS: the bot polls (and answers /health) while accounts are checked.
        sessionRecovery = config.sessions.recovery.enabled && workflow.accounts.all().length > 0
          ? startSessionRecovery({ accounts: workflow.accounts, settings: config.sessions.recovery, notify })
          : undefined;
        sessionRecovery?.done.then(
          (report) => {
            if (report) logger.info({ restored: report.restored, failed: report.failed, ms: report.tookMs }, "X sessions verified");
          },
          (error: unknown) => logger.error({ err: error }, "X session verification failed; the health monitor rechecks failed accounts"),
        );
      },
    });
    const http = new HttpServer(logger);
    registerHealthRoutes(http, {
      health,
      database,
      isPolling: () => polling.isPolling(),
      replica: () => leadership.status(),
      metrics,
      metricsToken: config.http.metricsToken,
    });
    registerAlertRoutes(http, alerting, config.alerts.adminApiToken);
    registerOAuthRoutes(http, oauth2Connect, logger);
    const dashboard = { db: database.db, timeZone: config.timeZone, health, breakers: registry, accounts: accountsView, alerts: alerting };
    registerDashboardRoutes(http, config.http.dashboardToken, { ...dashboard, deadLetters: workflow.deadLetters, polling, leadership });
    intake.registerRoutes(http);

    const httpAddress = await http.listen(config.http.host, config.http.port);
    cleanups.push(() => http.close());
    // Reversed at cleanup: polling stops before the lock goes, so two replicas never poll at once.
    cleanups.push(() => leadership.stop());
    cleanups.push(() => duties.stop(Date.now() + 2_000));
    await wakeups.start({
      syncCards: () => workflow.cards.sync(), dropSettings: () => workflow.settings.invalidate(), dropOptOuts: () => workflow.optOuts.invalidate(),
      reloadAccounts: () => accountSync.reload(), isLeader: () => leadership.isLeader(),
    });
    cleanups.push(() => wakeups.stop());
    await leadership.start();
    await duties.settled();
    await scheduler.start();

    for (const missing of missingIntegrations(config, workflow.accounts.all().length)) logger.warn(`${missing} not configured; that part is idle`);
    const replica = leadership.status();
    logger.info(
      { http: `${httpAddress.address}:${httpAddress.port}`, replica: replica.id, role: replica.role, election: replica.election },
      "reply-guy-bot started",
    );
    await alerting.raise({
      type: "bot_started",
      level: SUGGESTED_LEVELS.bot_started,
      message: `reply-guy-bot ${readVersion()} started.`,
      details: { missing: missingIntegrations(config, workflow.accounts.all().length).join("; ") || undefined },
    });

    return {
      database,
      bot,
      health,
      workflow,
      scheduler,
      registry,
      accountStore,
      get sessionRecovery() {
        return sessionRecovery;
      },
      leadership,
      httpAddress,
      async stop() {
        const deadline = Date.now() + config.gracefulShutdownTimeoutMs - 500;
        // Webhook updates first: new ones get 503 (Telegram delivers them to another replica or after the restart).
        await intake.stop(deadline);
        await sessionRecovery?.stop();
        await duties.stop(deadline);
        // Drains the running jobs: a publish in flight finishes (or its claim is released for reconciliation at the next boot).
        await scheduler.stop();
        workflow.batchProgress.stop();
        if (config.sessions.preserveOnShutdown) {
          const preserved = await workflow.accounts.preserve().catch((error: unknown) => {
            logger.warn({ err: error }, "could not save the X sessions' rate-limit windows");
            return undefined;
          });
          if (preserved) logger.info({ sessions: preserved.sessions, rateLimitWindows: preserved.windows }, `${preserved.sessions} X sessions preserved`);
        } else {
          logger.info("X sessions not preserved (SESSION_PRESERVE_ON_SHUTDOWN=false): rate-limit windows seen in memory are dropped");
        }
        // Say goodbye while the database is still open; bounded so a dead Telegram cannot hold the exit.
        await alerting.raise({ type: "bot_stopped", level: SUGGESTED_LEVELS.bot_stopped, message: "reply-guy-bot stopped." });
        // Only the leader delivers (the outbox has no claim); a stand-by's alert goes out with the leader's next run.
        if (leadership.isLeader()) {
          await withTimeout(alerting.deliverDue(), Math.max(0, Math.min(3_000, deadline - Date.now())), "alert delivery").catch(
            (error: unknown) => logger.warn({ err: error }, "alerts not delivered before exit; they go out at the next start"),
          );
        }
        // Released before the database closes, so a stand-by takes over now rather than after LEADER_TAKEOVER_SECONDS.
        await leadership.stop();
        await runCleanups();
      },
    };
  } catch (error) {
    await runCleanups();
    throw error;
  }
}
