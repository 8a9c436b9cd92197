import { z } from "zod";
import { boolean, emptyToUndefined } from "./fields.js";
import { group, setting } from "./group.js";

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

/** Where the bot reports, and who may use it. */
export const adminConfig = group(
  {
    adminChatId: setting("ADMIN_CHAT_ID", chatId),
    adminUserIds: setting("ADMIN_USER_IDS", userIdList),
    anonymousAdmins: setting("ANONYMOUS_ADMINS", boolean(false)),
  },
  {
    check(env, ctx) {
      // A group id is no user id, so the chat cannot stand in for the admins there.
      if (env.ADMIN_USER_IDS === undefined && env.ADMIN_CHAT_ID < 0) {
        ctx.addIssue({
          code: "custom",
          path: ["ADMIN_USER_IDS"],
          message: "is required when ADMIN_CHAT_ID is a group (negative id): list the admins' user ids",
        });
      }
    },
    derive: ({ adminUserIds, ...admin }) => ({ ...admin, adminUserIds: adminUserIds ?? [admin.adminChatId] }),
  },
);
