import type { Update } from "grammy/types";
import type { TelegramEmulator } from "./telegram-emulator/index.js";

/** A webhook URL for tests (Telegram is the emulator, which only records it) and the secret that goes with it. */
export const WEBHOOK = { url: "https://bot.example.com/telegram/webhook", path: "/telegram/webhook", secret: "test_webhook-Secret_0123" } as const;

/** Environment of a bot in webhook mode. */
export const WEBHOOK_ENV = { BOT_MODE: "webhook", WEBHOOK_URL: WEBHOOK.url, WEBHOOK_SECRET: WEBHOOK.secret } as const;

async function getUpdates(tg: TelegramEmulator, payload: Record<string, unknown>): Promise<Update[]> {
  const response = await fetch(`${tg.apiRoot}/bot${tg.token}/getUpdates`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ timeout: 0, ...payload }),
  });
  return ((await response.json()) as { result: Update[] }).result;
}

/**
 * Takes the updates the emulator queued (from `sendText`, `pressButton`…) the way Telegram would before posting them
 * to a webhook: read and confirmed, so the next call returns only newer ones.
 */
export async function takeUpdates(tg: TelegramEmulator): Promise<Update[]> {
  const updates = await getUpdates(tg, {});
  const last = updates.at(-1);
  if (last) await getUpdates(tg, { offset: last.update_id + 1 });
  return updates;
}

/** The one update the emulator queued since the last take. */
export async function takeUpdate(tg: TelegramEmulator): Promise<Update> {
  const updates = await takeUpdates(tg);
  if (updates.length !== 1) throw new Error(`expected one queued update, found ${updates.length}`);
  return updates[0]!;
}

/** Posts `body` to the app's webhook as Telegram does (with the secret unless another, or none, is given). */
export function postWebhook(httpUrl: string, body: unknown, secret: string | null = WEBHOOK.secret): Promise<Response> {
  return fetch(`${httpUrl}${WEBHOOK.path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(secret === null ? {} : { "x-telegram-bot-api-secret-token": secret }) },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}
