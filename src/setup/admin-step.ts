import { GrammyError } from "grammy";
import type { Message } from "grammy/types";
import type { Prompter } from "./prompter.js";
import type { SetupState } from "./setup-state.js";
import type { CheckedBot } from "./telegram-step.js";
import { checkValue } from "./variables.js";

/** Seconds one getUpdates waits for the operator's /start: short, so Ctrl+C and a retry stay quick. */
const POLL_SECONDS = 5;

/** The chat and the sender of a /start message. */
interface Found {
  readonly chatId: number;
  readonly userId: number;
  readonly description: string;
}

function isStartFor(message: Message | undefined, username: string): message is Message & { from: NonNullable<Message["from"]> } {
  const command = /^\/start(?:@(\w+))?(?:\s|$)/i.exec(message?.text ?? "");
  if (command === null || message?.from === undefined) return false;
  return command[1] === undefined || command[1].toLowerCase() === username.toLowerCase();
}

function describe(message: Message & { from: NonNullable<Message["from"]> }): string {
  const { chat, from } = message;
  const sender = `${from.first_name}${from.username === undefined ? "" : ` (@${from.username})`}, user id ${from.id}`;
  return chat.type === "private"
    ? `a private chat with ${sender}`
    : `the ${chat.type} "${chat.title ?? ""}" (chat id ${chat.id}), sent by ${sender}`;
}

/** getUpdates cannot run while a webhook is set: offers to delete it (the bot sets it again in webhook mode). */
async function clearWebhook(prompter: Prompter, bot: CheckedBot): Promise<boolean> {
  const info = await bot.api.getWebhookInfo();
  if (info.url === "") return true;
  const remove = await prompter.confirm(
    `A webhook is set for this bot (${info.url}), so its messages cannot be read here. Delete it? (BOT_MODE=webhook sets it again at start)`,
    true,
  );
  if (remove) await bot.api.deleteWebhook({ drop_pending_updates: false });
  return remove;
}

/**
 * Waits for a /start message and returns its chat and sender once the operator confirms them. The updates read up to
 * that /start are confirmed to Telegram (offset), so the bot does not answer this /start again when it starts.
 */
async function waitForStart(prompter: Prompter, bot: CheckedBot): Promise<Found> {
  const username = bot.me.username;
  prompter.say(
    `Now open a private chat with @${username} and send /start — or add @${username} to your admins' group and send /start@${username} there.`,
  );
  prompter.say("Waiting for it… (Ctrl+C stops the setup)");
  let offset: number | undefined;
  for (;;) {
    let updates;
    try {
      updates = await bot.api.getUpdates({ timeout: POLL_SECONDS, ...(offset === undefined ? {} : { offset }) });
    } catch (error) {
      if (error instanceof GrammyError && error.error_code === 409) {
        throw new Error("Telegram answers 409 Conflict: another process is reading this bot's updates. Stop the bot, then run the setup again.");
      }
      throw error;
    }
    for (const update of updates) {
      offset = update.update_id + 1;
      const message = update.message;
      if (!isStartFor(message, username)) continue;
      const description = describe(message);
      if (await prompter.confirm(`Got /start from ${description}. Use this chat for cards and alerts?`, true)) {
        // Confirms the updates up to this one to Telegram (a getUpdates with a later offset), and none after it.
        await bot.api.getUpdates({ offset, timeout: 0, limit: 1 });
        return { chatId: message.chat.id, userId: message.from.id, description };
      }
      prompter.say("Waiting for another /start…");
    }
  }
}

async function askUserIds(prompter: Prompter, state: SetupState, usersFallback: string | undefined): Promise<void> {
  const userIds = await prompter.text("ADMIN_USER_IDS (comma list of the Telegram user ids the bot obeys)", {
    ...(usersFallback === undefined ? {} : { fallback: usersFallback }),
    validate: (value) => checkValue("ADMIN_USER_IDS", value),
  });
  state.set("ADMIN_USER_IDS", userIds.trim());
}

/**
 * Sets ADMIN_CHAT_ID and ADMIN_USER_IDS: kept, found from a /start the operator sends to the bot (private chat or
 * group), or typed in.
 */
export async function adminStep(prompter: Prompter, state: SetupState, bot: CheckedBot): Promise<void> {
  const chat = state.get("ADMIN_CHAT_ID");
  const users = state.get("ADMIN_USER_IDS");
  type Way = "keep" | "detect" | "type";
  const way = await prompter.choose<Way>(
    "Admin chat: where cards and alerts go, and who may use the bot",
    [
      ...(chat === undefined ? [] : [{ name: `Keep chat ${chat}${users === undefined ? "" : `, admins ${users}`}`, value: "keep" as const }]),
      { name: "Find them from a /start message sent to the bot", value: "detect" },
      { name: "Type the ids", value: "type" },
    ],
    chat === undefined ? "detect" : "keep",
  );
  if (way === "keep") return;
  if (way === "type" || !(await clearWebhook(prompter, bot))) {
    const chatId = await prompter.text("ADMIN_CHAT_ID (your user id, or a group id like -100…)", {
      ...(chat === undefined ? {} : { fallback: chat }),
      validate: (value) => checkValue("ADMIN_CHAT_ID", value),
    });
    state.set("ADMIN_CHAT_ID", chatId.trim());
    await askUserIds(prompter, state, users);
    return;
  }
  const found = await waitForStart(prompter, bot);
  state.set("ADMIN_CHAT_ID", String(found.chatId));
  const known = (users ?? "").split(",").map((id) => id.trim()).filter((id) => id !== "");
  await askUserIds(prompter, state, [...new Set([String(found.userId), ...known])].join(","));
  await bot.api
    .sendMessage(found.chatId, "reply-guy-bot setup: this chat will receive the reply cards, alerts and reports.")
    .then(
      () => prompter.say(`✔ Sent a test message to ${found.description}.`),
      (error: unknown) => prompter.say(`⚠ The bot could not post there (${error instanceof Error ? error.message : String(error)}): check that it may send messages in that chat.`),
    );
}
