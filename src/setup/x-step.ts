import { XApiError } from "../x/errors.js";
import { createXAccountClient } from "../x/twitter-client.js";
import type { XUser } from "../x/types.js";
import type { Prompter } from "./prompter.js";
import type { SetupState } from "./setup-state.js";
import { defaultOf } from "./variables.js";

/** The OAuth 1.0a credentials of the replying account, in the order the X developer portal shows them. */
const CREDENTIALS = [
  { variable: "X_APP_KEY", label: "API key (consumer key)" },
  { variable: "X_APP_SECRET", label: "API key secret" },
  { variable: "X_ACCESS_TOKEN", label: "Access token" },
  { variable: "X_ACCESS_SECRET", label: "Access token secret" },
] as const;

type Credential = (typeof CREDENTIALS)[number]["variable"];

/** Asks the four credentials (never shown; Enter keeps each current one). */
async function askCredentials(prompter: Prompter, state: SetupState): Promise<Record<Credential, string> | undefined> {
  const values: Partial<Record<Credential, string>> = {};
  for (const { variable, label } of CREDENTIALS) {
    const current = state.get(variable);
    const answer = (await prompter.secret(`${variable}: ${label}${current === undefined ? "" : " (Enter = keep current)"}`)).trim();
    const value = answer === "" ? current : answer;
    if (value === undefined) {
      prompter.say(`✖ ${variable} is required: the four X credentials go together.`);
      return undefined;
    }
    values[variable] = value;
  }
  return values as Record<Credential, string>;
}

/** users/me with the credentials at X_API_ROOT: the account, or what went wrong in words. */
async function checkAccount(apiRoot: string, credentials: Record<Credential, string>): Promise<XUser | string> {
  const client = createXAccountClient({
    apiRoot,
    credentials: {
      appKey: credentials.X_APP_KEY,
      appSecret: credentials.X_APP_SECRET,
      accessToken: credentials.X_ACCESS_TOKEN,
      accessSecret: credentials.X_ACCESS_SECRET,
    },
  });
  try {
    return await client.me();
  } catch (error) {
    if (error instanceof XApiError && (error.reason === "unauthorized" || error.reason === "forbidden" || error.reason === "account_suspended")) {
      return `X refused these credentials (${error.status ?? "?"}): check the four values under "Keys and tokens" of your app in the X developer portal (the access token needs Read and Write).`;
    }
    return `Could not check them with X at ${apiRoot}: ${error instanceof Error ? error.message : String(error)}`;
  }
}

function forget(state: SetupState): void {
  for (const { variable } of CREDENTIALS) state.set(variable, undefined);
}

/**
 * Sets the replying X account (OAuth 1.0a, X_APP_KEY … X_ACCESS_SECRET): asked, then checked with users/me at
 * X_API_ROOT, which shows the handle. X is optional: without it the bot starts but discovers and posts nothing.
 */
export async function xStep(prompter: Prompter, state: SetupState): Promise<void> {
  const givenRoot = state.get("X_API_ROOT");
  const apiRoot = givenRoot ?? defaultOf("X_API_ROOT");
  /** Records the credentials, and the root they were checked at when it was given (environment or file). */
  const keep = (credentials: Record<Credential, string>): void => {
    for (const [variable, value] of Object.entries(credentials)) state.set(variable, value);
    if (givenRoot !== undefined) state.set("X_API_ROOT", apiRoot);
  };
  const configured = CREDENTIALS.every(({ variable }) => state.get(variable) !== undefined);
  prompter.say("X: the account the replies go out from (more accounts later with /accounts in the bot).");
  type Way = "set" | "skip" | "remove";
  const way = await prompter.choose<Way>(
    "X account",
    configured
      ? [
          { name: "Keep or change them (Enter keeps each one), checked with X", value: "set" },
          { name: "Remove them (the bot posts nothing)", value: "remove" },
        ]
      : [
          { name: "Enter the app's credentials now", value: "set" },
          { name: "Skip for now (the bot starts but discovers and posts nothing)", value: "skip" },
        ],
    "set",
  );
  if (way === "skip") return;
  if (way === "remove") {
    forget(state);
    return;
  }
  for (;;) {
    const credentials = await askCredentials(prompter, state);
    if (credentials !== undefined) {
      const account = await checkAccount(apiRoot, credentials);
      if (typeof account === "string") {
        prompter.say(`✖ ${account}`);
      } else {
        prompter.say(`✔ X account: @${account.username} (${account.name}).`);
        keep(credentials);
        return;
      }
    }
    type Next = "again" | "keep" | "skip";
    const next = await prompter.choose<Next>("What now?", [
      { name: "Enter them again", value: "again" },
      ...(credentials === undefined ? [] : [{ name: "Keep them anyway (X may be unreachable from here)", value: "keep" as const }]),
      { name: "Leave X out of the .env for now", value: "skip" },
    ]);
    if (next === "keep" && credentials !== undefined) keep(credentials);
    if (next === "skip") forget(state);
    if (next !== "again") return;
  }
}
