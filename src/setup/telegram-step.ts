import { Api, GrammyError } from "grammy";
import type { UserFromGetMe } from "grammy/types";
import { redactSecrets } from "../logger.js";
import type { Prompter } from "./prompter.js";
import type { SetupState } from "./setup-state.js";
import { checkValue, defaultOf } from "./variables.js";

/** The bot as the checked token shows it, and a client to talk to Telegram as it. */
export interface CheckedBot {
  readonly api: Api;
  readonly me: UserFromGetMe;
}

/** Why getMe failed, in words for the operator (never with the token). */
function explain(error: unknown, apiRoot: string, token: string): string {
  if (error instanceof GrammyError && (error.error_code === 401 || error.error_code === 404)) {
    return `✖ Telegram refused this token (${error.error_code} ${error.description}): it is mistyped or was revoked. Copy it again from @BotFather (/mybots → API Token).`;
  }
  const message = error instanceof Error ? error.message : String(error);
  return `✖ Could not check the token with the Bot API at ${apiRoot}: ${redactSecrets(message, [token])}`;
}

/**
 * Asks for the bot token (never shown; Enter keeps the current one) until Telegram's getMe accepts it at
 * TELEGRAM_API_ROOT, and records both.
 */
export async function telegramStep(prompter: Prompter, state: SetupState): Promise<CheckedBot> {
  const givenRoot = state.get("TELEGRAM_API_ROOT");
  const apiRoot = (givenRoot ?? defaultOf("TELEGRAM_API_ROOT")).replace(/\/+$/, "");
  prompter.say("Telegram: create a bot with @BotFather (/newbot) and paste its token; nothing you type is shown.");
  for (;;) {
    const current = state.get("TELEGRAM_BOT_TOKEN");
    const answer = (await prompter.secret(current === undefined ? "Bot token" : "Bot token (Enter = keep current)")).trim();
    const token = answer === "" ? current : answer;
    if (token === undefined) {
      prompter.say("✖ A bot token is required.");
      continue;
    }
    const format = checkValue("TELEGRAM_BOT_TOKEN", token);
    if (format !== true) {
      prompter.say(`✖ ${format}`);
      continue;
    }
    const api = new Api(token, { apiRoot, timeoutSeconds: 15 });
    try {
      const me = await api.getMe();
      prompter.say(`✔ Token accepted: this is @${me.username} (${me.first_name}).`);
      state.set("TELEGRAM_BOT_TOKEN", token);
      // Written only when given (environment or file): a root from the environment is the one the token works at.
      if (givenRoot !== undefined) state.set("TELEGRAM_API_ROOT", apiRoot);
      return { api, me };
    } catch (error) {
      prompter.say(explain(error, apiRoot, token));
    }
  }
}
