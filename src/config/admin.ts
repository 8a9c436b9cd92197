import { z } from "zod";
import { emptyToUndefined } from "./fields.js";

/** Bot API user id of the "GroupAnonymousBot" that stands in for anonymous group admins. */
export const ANONYMOUS_ADMIN_BOT_ID = 1087968824;

const chatId = z.coerce
  .number({ error: "must be a Telegram chat id (a whole number, negative for groups)" })
  .int("must be a whole number")
  .refine((id) => id !== 0, "must not be 0");

const userIdList = z.preprocess(
  emptyToUndefined,
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined) return undefined;
      const ids = value
        .split(",")
        .map((part) => part.trim())
        .filter((part) => part !== "");
      const parsed = ids.map(Number);
      if (parsed.some((id) => !Number.isSafeInteger(id) || id <= 0)) {
        ctx.addIssue({ code: "custom", message: "must be a comma-separated list of positive Telegram user ids" });
        return z.NEVER;
      }
      return parsed;
    }),
);

/** Where the bot reports and who may use it: `config.adminChatId`, `config.adminUserIds`. */
export const adminConfig = z
  .object({
    ADMIN_CHAT_ID: chatId,
    ADMIN_USER_IDS: userIdList,
  })
  .superRefine((env, ctx) => {
    // In a group every member sees the cards, so "the chat" cannot stand for "the admins".
    if (env.ADMIN_USER_IDS === undefined && env.ADMIN_CHAT_ID < 0) {
      ctx.addIssue({
        code: "custom",
        path: ["ADMIN_USER_IDS"],
        message: "is required when ADMIN_CHAT_ID is a group (negative id): list the admins' user ids",
      });
    }
  })
  .transform((env) => ({
    adminChatId: env.ADMIN_CHAT_ID,
    adminUserIds: env.ADMIN_USER_IDS ?? [env.ADMIN_CHAT_ID],
  }));
