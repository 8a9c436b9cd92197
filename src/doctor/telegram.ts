import { Api, GrammyError, HttpError } from "grammy";
import type { UserFromGetMe } from "grammy/types";
import type { Config } from "../config.js";
import { fail, reasonOf, type CheckLine } from "./check.js";

/** The Bot API as the doctor uses it: a plain `Api` (no auto-retry: a dead server must show at once) and one getMe. */
export interface TelegramProbe {
  readonly api: Api;
  /** Host of TELEGRAM_API_ROOT, for the output (the token is in the path, never shown). */
  readonly host: string;
  /** The bot's identity; asked once, shared by the checks that need it. */
  me(): Promise<UserFromGetMe>;
}

/** The Telegram probe of a config; every call gives up after `timeoutMs`. */
export function telegramProbe(config: Config, timeoutMs: number): TelegramProbe {
  const api = new Api(config.telegram.token, { apiRoot: config.telegram.apiRoot, timeoutSeconds: Math.max(1, Math.ceil(timeoutMs / 1000)) });
  let me: Promise<UserFromGetMe> | undefined;
  return {
    api,
    host: new URL(config.telegram.apiRoot).host,
    me: () => (me ??= api.getMe()),
  };
}

/** The line for a failed Bot API call: Telegram's own error code and description, or why the server was not reached. */
export function telegramFailure(name: string, error: unknown, host: string, fixFor: (code: number) => string): CheckLine {
  if (error instanceof GrammyError) return fail(name, `${error.description} (${error.error_code})`, fixFor(error.error_code));
  const reason = error instanceof HttpError ? reasonOf(error.error) : reasonOf(error);
  return fail(name, `${host} unreachable (${reason})`, "check TELEGRAM_API_ROOT and this machine's network");
}
