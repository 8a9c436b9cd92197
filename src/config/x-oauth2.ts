import { z } from "zod";
import { emptyToUndefined, optionalString, url } from "./fields.js";
import { group, setting } from "./group.js";

/** Where X sends the browser back after "Authorize app": this path on PUBLIC_URL (register it in the X app). */
export const X_OAUTH2_CALLBACK_PATH = "/oauth/x/callback";

/** An optional absolute http(s) URL; trailing slashes are dropped so paths can be appended. */
const optionalUrl = z.preprocess(
  emptyToUndefined,
  z
    .string()
    .trim()
    .refine((value) => /^https?:\/\/[^/\s]/i.test(value) && URL.canParse(value), "must be an http(s) URL like https://bot.example.com")
    .transform((value) => value.replace(/\/+$/, ""))
    .optional(),
);

/** The X app's OAuth 2.0 client, for connecting accounts in OAuth 2.0 user context (`/accounts connect`). */
export const xOAuth2Config = group(
  {
    xOAuth2: {
      clientId: setting("X_CLIENT_ID", optionalString),
      /** Set for a confidential client; unset = a public client (PKCE only). */
      clientSecret: setting("X_CLIENT_SECRET", optionalString),
      publicUrl: setting("PUBLIC_URL", optionalUrl),
      authorizeUrl: setting("X_OAUTH_AUTHORIZE_URL", url("https://x.com/i/oauth2/authorize")),
    },
  },
  {
    check(env, ctx) {
      if (env.X_CLIENT_SECRET !== undefined && env.X_CLIENT_ID === undefined) {
        ctx.addIssue({ code: "custom", path: ["X_CLIENT_ID"], message: "is required with X_CLIENT_SECRET (the OAuth 2.0 client it belongs to)" });
      }
    },
    derive: ({ xOAuth2: { clientId, clientSecret, publicUrl, authorizeUrl } }) => ({
      xOAuth2: {
        /** Kept apart from `client` so it is redacted from logs even while connecting is not configured. */
        clientSecret,
        /** The OAuth 2.0 client, or undefined while X_CLIENT_ID or PUBLIC_URL is unset (connecting is refused). */
        client:
          clientId !== undefined && publicUrl !== undefined
            ? { clientId, clientSecret, redirectUri: `${publicUrl}${X_OAUTH2_CALLBACK_PATH}`, authorizeUrl }
            : undefined,
        /** Which of the variables connecting needs are unset (for the refusal). */
        missing: [clientId === undefined ? "X_CLIENT_ID" : undefined, publicUrl === undefined ? "PUBLIC_URL" : undefined].filter(
          (name): name is string => name !== undefined,
        ),
      },
    }),
  },
);
