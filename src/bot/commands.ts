/** Every command the bot understands, in the order /help and the Telegram menu show them. */
export const BOT_COMMANDS = [
  { command: "help", description: "What this bot does and its commands" },
  { command: "health", description: "Status of the bot and its dependencies" },
] as const satisfies readonly { command: string; description: string }[];
