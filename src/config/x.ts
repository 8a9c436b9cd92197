import { z } from "zod";
import { emptyToUndefined, optionalString, url } from "./fields.js";
import { group, setting } from "./group.js";

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

/** The X API, and the accounts replies go out from. */
export const xConfig = group(
  {
    x: {
      apiRoot: setting("X_API_ROOT", url("https://api.x.com")),
      appKey: setting("X_APP_KEY", optionalString),
      appSecret: setting("X_APP_SECRET", optionalString),
      accessToken: setting("X_ACCESS_TOKEN", optionalString),
      accessSecret: setting("X_ACCESS_SECRET", optionalString),
      extraAccounts: setting("X_EXTRA_ACCOUNTS", extraAccounts),
      accountStrategy: setting(
        "ACCOUNT_STRATEGY",
        z.preprocess(
          emptyToUndefined,
          z.enum(["round_robin", "least_loaded"], { error: "must be round_robin or least_loaded" }).default("round_robin"),
        ),
      ),
    },
  },
  {
    check(env, ctx) {
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
    },
    derive: ({ x: { appKey, appSecret, accessToken, accessSecret, extraAccounts, ...x } }) => {
      const primary =
        appKey && appSecret && accessToken && accessSecret ? { appKey, appSecret, accessToken, accessSecret } : undefined;
      return {
        x: {
          ...x,
          /** The X accounts replies go out from; the first is the X_* account labelled "main". Empty = X not configured. */
          accounts: primary
            ? [
                { label: PRIMARY_ACCOUNT_LABEL, credentials: primary },
                // Extra accounts are more users of the same X app: they share its key and secret.
                ...extraAccounts.map((extra) => ({
                  label: extra.label,
                  credentials: { ...primary, accessToken: extra.accessToken, accessSecret: extra.accessSecret },
                })),
              ]
            : [],
        },
      };
    },
  },
);
