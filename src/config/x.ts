import { z } from "zod";
import { emptyToUndefined, optionalString, url } from "./fields.js";

/** Label of the X account configured by the X_* variables. */
export const PRIMARY_ACCOUNT_LABEL = "main";

const CREDENTIALS = ["X_APP_KEY", "X_APP_SECRET", "X_ACCESS_TOKEN", "X_ACCESS_SECRET"] as const;

const extraAccounts = z.preprocess(
  emptyToUndefined,
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined) return [];
      const accounts = value.split(",").map((entry) => entry.trim().split(":"));
      if (accounts.some((parts) => parts.length !== 3 || parts.some((part) => !/^[\w.-]+$/.test(part)))) {
        ctx.addIssue({ code: "custom", message: "must be a comma list of label:accessToken:accessSecret" });
        return z.NEVER;
      }
      return accounts.map(([label, accessToken, accessSecret]) => ({
        label: label!,
        accessToken: accessToken!,
        accessSecret: accessSecret!,
      }));
    }),
);

/** The X API and the accounts replies go out from: `config.x`. */
export const xConfig = z
  .object({
    X_API_ROOT: url("https://api.x.com"),
    X_APP_KEY: optionalString,
    X_APP_SECRET: optionalString,
    X_ACCESS_TOKEN: optionalString,
    X_ACCESS_SECRET: optionalString,
    X_EXTRA_ACCOUNTS: extraAccounts,
  })
  .superRefine((env, ctx) => {
    const present = CREDENTIALS.filter((key) => env[key] !== undefined);
    if (present.length > 0 && present.length < CREDENTIALS.length) {
      for (const key of CREDENTIALS.filter((k) => env[k] === undefined)) {
        ctx.addIssue({
          code: "custom",
          path: [key],
          message: `is required when ${present.join(", ")} ${present.length === 1 ? "is" : "are"} set (all four X credentials go together)`,
        });
      }
    }
    if (env.X_EXTRA_ACCOUNTS.length > 0 && present.length === 0) {
      ctx.addIssue({ code: "custom", path: ["X_EXTRA_ACCOUNTS"], message: "needs the X_APP_KEY … X_ACCESS_SECRET of the first account" });
    }
    const labels = [PRIMARY_ACCOUNT_LABEL, ...env.X_EXTRA_ACCOUNTS.map((account) => account.label)];
    if (new Set(labels).size !== labels.length) {
      ctx.addIssue({ code: "custom", path: ["X_EXTRA_ACCOUNTS"], message: `labels must be unique and not "${PRIMARY_ACCOUNT_LABEL}"` });
    }
  })
  .transform((env) => {
    const primary =
      env.X_APP_KEY && env.X_APP_SECRET && env.X_ACCESS_TOKEN && env.X_ACCESS_SECRET
        ? { appKey: env.X_APP_KEY, appSecret: env.X_APP_SECRET, accessToken: env.X_ACCESS_TOKEN, accessSecret: env.X_ACCESS_SECRET }
        : undefined;
    // Extra accounts are more users of the same X app: they share its key and secret.
    const accounts = primary
      ? [
          { label: PRIMARY_ACCOUNT_LABEL, credentials: primary },
          ...env.X_EXTRA_ACCOUNTS.map((extra) => ({
            label: extra.label,
            credentials: { ...primary, accessToken: extra.accessToken, accessSecret: extra.accessSecret },
          })),
        ]
      : [];
    return {
      x: {
        apiRoot: env.X_API_ROOT,
        /** The X accounts replies go out from; the first is the X_* account labelled "main". Empty = X not configured. */
        accounts,
      },
    };
  });
