import { Api } from "grammy";
import { formatAlertHtml, SUGGESTED_LEVELS } from "./alerts/index.js";
import { ConfigError, loadConfig, secretsOf, type Config } from "./config.js";
import { startApp, type App } from "./app.js";
import { DataDirLockedError } from "./db/data-dir-lock.js";
import { readEnvironment } from "./env-file.js";
import { createLogger, redactSecrets } from "./logger.js";
import { BotTokenRejectedError } from "./bot/polling.js";
import { EncryptionKeyError } from "./workflow/account-store.js";

/** Errors whose message is the whole story: printed without a stack trace. */
function isOperatorError(error: unknown): error is Error {
  return (
    error instanceof ConfigError ||
    error instanceof DataDirLockedError ||
    error instanceof BotTokenRejectedError ||
    error instanceof EncryptionKeyError
  );
}

/**
 * The initialization_failed alert, sent straight to the admin chat: the alert outbox lives in the
 * database, which may be what failed. Best effort, bounded, never throws.
 */
async function reportInitializationFailure(config: Config, secrets: readonly string[], error: unknown): Promise<void> {
  if (error instanceof BotTokenRejectedError) return;
  const message = error instanceof Error ? error.message : String(error);
  const text = formatAlertHtml(
    {
      id: 0,
      type: "initialization_failed",
      level: SUGGESTED_LEVELS.initialization_failed,
      key: "",
      message: "reply-guy-bot could not start.",
      details: { error: message },
      occurredAt: new Date(),
      repeatCount: 0,
      lastRepeatAt: null,
    },
    { timeZone: config.timeZone, secrets },
  );
  const api = new Api(config.telegram.token, { apiRoot: config.telegram.apiRoot, timeoutSeconds: 5 });
  await api.sendMessage(config.adminChatId, text, { parse_mode: "HTML" }).catch(() => undefined);
}

async function main(): Promise<void> {
  // Before anything opens a file: PGlite's files, the lock file and anything else in DATA_DIR are the owner's only.
  process.umask(0o077);
  let config;
  try {
    config = loadConfig(readEnvironment(process.env));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`reply-guy-bot: ${error.message}\nSee .env.example for every variable and its default.`);
    process.exit(1);
  }
  const secrets = secretsOf(config);
  const logger = createLogger({ level: config.logLevel, secrets });

  let app: App | undefined;
  let stopping: Promise<void> | undefined;
  const shutdown = (reason: string, exitCode: number): Promise<void> => {
    stopping ??= (async () => {
      logger.info({ reason }, "shutting down");
      const forceExit = setTimeout(() => {
        logger.error({ timeoutMs: config.gracefulShutdownTimeoutMs }, "graceful shutdown timed out; exiting");
        process.exit(1);
      }, config.gracefulShutdownTimeoutMs);
      forceExit.unref();
      try {
        await app?.stop();
        logger.info("stopped cleanly");
      } catch (error) {
        logger.error({ err: error }, "error during shutdown");
        exitCode = 1;
      }
      logger.flush();
      process.exit(exitCode);
    })();
    return stopping;
  };

  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => void shutdown(signal, 0));
  }
  process.on("unhandledRejection", (error) => logger.error({ err: error }, "unhandled promise rejection"));

  try {
    app = await startApp(config, logger, (error) => {
      logger.fatal({ err: error }, error.message);
      void shutdown("fatal error", 1);
    });
  } catch (error) {
    if (isOperatorError(error)) {
      console.error(`reply-guy-bot: ${redactSecrets(error.message, secrets)}`);
    } else {
      logger.fatal({ err: error }, "startup failed");
    }
    await reportInitializationFailure(config, secrets, error);
    logger.flush();
    process.exit(1);
  }
}

await main();
