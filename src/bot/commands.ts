import { ACCOUNTS_COMMANDS } from "./features/accounts.js";
import { ALERTS_COMMANDS } from "./features/alerts.js";
import { BREAKER_COMMANDS } from "./features/breakers.js";
import { DLQ_COMMANDS } from "./features/dlq.js";
import { PAUSE_COMMANDS } from "./features/pause.js";
import { QUEUE_COMMANDS } from "./features/queue.js";
import { SETTINGS_COMMANDS } from "./features/settings.js";
import { STATS_COMMANDS } from "./features/stats.js";
import { TRACE_COMMANDS } from "./features/trace.js";
import { WATCHLIST_COMMANDS } from "./features/watchlist.js";

/** Every command the bot understands, in the order /help and the Telegram menu show them. */
export const BOT_COMMANDS = [
  { command: "help", description: "What this bot does and its commands" },
  ...QUEUE_COMMANDS,
  ...DLQ_COMMANDS,
  ...STATS_COMMANDS,
  ...TRACE_COMMANDS,
  ...WATCHLIST_COMMANDS,
  ...PAUSE_COMMANDS,
  ...SETTINGS_COMMANDS,
  ...BREAKER_COMMANDS,
  ...ALERTS_COMMANDS,
  ...ACCOUNTS_COMMANDS,
  { command: "health", description: "Status of the bot and its dependencies" },
  { command: "cancel", description: "Cancel the edit (or account being added) in progress" },
] as const satisfies readonly { command: string; description: string }[];
