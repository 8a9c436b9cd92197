import type { Config } from "../config.js";
import type { Logger } from "../logger.js";
import { adminChatCheck } from "./admin-chat.js";
import { alertWebhookCheck } from "./alert-webhook.js";
import type { DoctorCheck } from "./check.js";
import { clockSkewCheck } from "./clock-skew.js";
import { databaseProbe } from "./database-access.js";
import { databaseCheck } from "./database-check.js";
import { dataDirCheck } from "./data-dir.js";
import { modelCheck } from "./model.js";
import { smtpCheck } from "./smtp.js";
import { telegramProbe } from "./telegram.js";
import { telegramTokenCheck } from "./telegram-token.js";
import { xAccountsCheck } from "./x-accounts.js";

/** The checks of one run, in the order they are printed, and what to close after them. */
export interface Doctor {
  readonly checks: readonly DoctorCheck[];
  /** Closes the database (and releases the data-dir lock) the checks opened. */
  close(): Promise<void>;
}

/**
 * Every dependency of the bot as the config describes it, in boot order: its files, its database, Telegram, X, the
 * model, the alert channels, and the clock they all compare with. `secrets` is the list the output is masked with;
 * the X check adds the stored accounts' secrets to it once it has opened them.
 */
export function createDoctor(config: Config, options: { readonly timeoutMs: number; readonly logger: Logger; readonly secrets: string[] }): Doctor {
  const { timeoutMs } = options;
  const database = databaseProbe(config, options.logger, timeoutMs);
  const telegram = telegramProbe(config, timeoutMs);
  return {
    checks: [
      dataDirCheck(config),
      databaseCheck(database, config.database.url !== undefined, timeoutMs),
      telegramTokenCheck(telegram),
      adminChatCheck(telegram, config.adminChatId),
      xAccountsCheck(config, database, timeoutMs, options.secrets),
      modelCheck(config, timeoutMs),
      smtpCheck(config, timeoutMs),
      alertWebhookCheck(config, timeoutMs),
      clockSkewCheck(config, timeoutMs),
    ],
    close: () => database.close(),
  };
}
