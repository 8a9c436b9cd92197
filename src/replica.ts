import type { RunOptions } from "@grammyjs/runner";
import type { Bot } from "grammy";
import type { Update } from "grammy/types";
import type { Config } from "./config.js";
import { SUGGESTED_LEVELS, type Alerting } from "./alerts/index.js";
import type { BotContext } from "./bot/context.js";
import { PollingSupervisor } from "./bot/polling.js";
import { formatRecoveryReport } from "./bot/recovery-report.js";
import { connectLeaderLock } from "./db/leader-lock.js";
import { LeaderElection, leaderIntervalMs, replicaId, singleProcessLeadership, type Leadership } from "./lifecycle/leader.js";
import type { PollingSwitch } from "./lifecycle/leader-duties.js";
import type { Logger } from "./logger.js";
import type { ResilienceRegistry } from "./resilience/registry.js";
import type { Workflow } from "./workflow/services.js";

/**
 * The leadership of this process: on PostgreSQL an election through the leader advisory lock (several replicas may
 * share the database); on PGlite the process always leads, since the data directory's lock refuses a second one.
 */
export function leadershipFromConfig(config: Config, logger: Logger): Leadership {
  const url = config.database.url;
  if (url === undefined) return singleProcessLeadership(replicaId());
  return new LeaderElection({
    connect: (onLost) => connectLeaderLock(url, onLost),
    intervalMs: leaderIntervalMs(config.database.leaderTakeoverSeconds),
    logger,
  });
}

/** Telegram polling switched on and off by the leadership: a new supervisor per term (a stopped one cannot restart). */
export function createPollingSwitch(
  bot: Bot<BotContext>,
  logger: Logger,
  options: RunOptions<Update>,
  onFatal: (error: Error) => void,
): PollingSwitch & { isPolling(): boolean } {
  let current: PollingSupervisor | undefined;
  return {
    start() {
      current = new PollingSupervisor(bot, logger, options, onFatal);
      current.start();
    },
    async stop(deadline) {
      const stopping = current;
      current = undefined;
      await stopping?.stop(deadline);
      logger.info("stopped polling Telegram");
    },
    isPolling: () => current?.isPolling() ?? false,
  };
}

/**
 * Boot recovery, run by the first leader of this process (a stand-by would count the leader's live work as left
 * half-done): releases dead claims and raises `crash_recovered` (awaited: database work, quick), then draws the
 * cards and sends the recovery report in the background, so a slow Telegram does not hold up the lead.
 */
export async function recoverAsLeader(deps: {
  readonly config: Config;
  readonly logger: Logger;
  readonly workflow: Workflow;
  readonly alerting: Alerting;
  readonly registry: ResilienceRegistry;
  readonly bot: Bot<BotContext>;
  readonly restoredBreakers: number;
}): Promise<void> {
  const { config, logger, workflow } = deps;
  const recovery = await workflow.recover().catch((error: unknown) => {
    logger.error({ err: error }, "boot recovery failed; continuing");
    return undefined;
  });
  if (!recovery) return;
  logger.info({ ...recovery, restoredBreakers: deps.restoredBreakers }, "boot recovery done");
  const found = Object.entries(recovery.findings).filter(([, n]) => n > 0);
  if (found.length > 0 || recovery.releasedClaims > 0) {
    await deps.alerting.raise({
      type: "crash_recovered",
      level: SUGGESTED_LEVELS.crash_recovered,
      message: "The bot restarted with work left half-done and finished it; see the recovery report.",
      details: Object.fromEntries(found),
    });
  }
  void (async () => {
    const cardsSynced = await workflow.cards.sync();
    const report = formatRecoveryReport({ ...recovery, cardsSynced, breakers: deps.registry.all() });
    await deps.bot.api.sendMessage(config.adminChatId, report, { parse_mode: "HTML" });
  })().catch((error: unknown) => logger.warn({ err: error }, "could not send the recovery report"));
}
