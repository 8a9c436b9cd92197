import type { ConversationFlavor } from "@grammyjs/conversations";
import type { Context } from "grammy";
import type { Config } from "../config.js";
import type { Logger } from "../logger.js";

/** What the first middleware puts on every context. */
export interface ContextExtras {
  readonly config: Config;
  /** A child of the root logger tagged with this update's id. */
  logger: Logger;
}

/** The context type of every handler of this bot (outside conversations). */
export type BotContext = ConversationFlavor<Context & ContextExtras>;
