import { GrammyError } from "grammy";
import { fail, ok, type DoctorCheck } from "./check.js";
import { telegramFailure, type TelegramProbe } from "./telegram.js";

const NAME = "Telegram bot token";

/** getMe with TELEGRAM_BOT_TOKEN at TELEGRAM_API_ROOT: the bot's @username, or why Telegram refused the token. */
export function telegramTokenCheck(telegram: TelegramProbe): DoctorCheck {
  return {
    name: NAME,
    onTimeout: "check TELEGRAM_API_ROOT and this machine's network",
    async run() {
      try {
        const me = await telegram.me();
        return ok(NAME, `@${me.username} (id ${me.id}) at ${telegram.host}`);
      } catch (error) {
        if (error instanceof GrammyError && (error.error_code === 401 || error.error_code === 404)) {
          return fail(NAME, `rejected (${error.error_code}: ${error.description})`, "check TELEGRAM_BOT_TOKEN (the token @BotFather gave you; /revoke there makes a new one)");
        }
        return telegramFailure(NAME, error, telegram.host, () => "check TELEGRAM_BOT_TOKEN and TELEGRAM_API_ROOT");
      }
    },
  };
}

