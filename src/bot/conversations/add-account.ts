import type { Conversation } from "@grammyjs/conversations";
import type { Context } from "grammy";
import { stripInvisible } from "../../text/invisible.js";
import type { AccountAdmin } from "../../workflow/account-admin.js";
import { ACCOUNT_LABEL_RE } from "../../workflow/account-store.js";
import type { AccountsView } from "../../workflow/accounts-view.js";
import type { BotContext } from "../context.js";
import { isCommand } from "./command-text.js";

/** Name under which the add-account conversation is registered and entered. */
export const ADD_ACCOUNT_CONVERSATION = "addAccount";

/** Printable ASCII without spaces: what X's keys, secrets and tokens are made of. */
const CREDENTIAL_RE = /^[\x21-\x7e]{8,200}$/;

/** The word that picks the bot's own X app (X_APP_KEY / X_APP_SECRET) for the new account's tokens. */
const DEFAULT_APP_WORD = "default";

/**
 * The `/accounts add` conversation, in a private chat with the admin who sent it: a label, then the OAuth 1.0a
 * credentials (the app's key and secret, or `default` for the env app's, then the access token and secret). Every
 * message of the credential steps is deleted as soon as it arrives and never repeated; the account is verified with
 * X before it is stored. /cancel leaves. The state (with the messages it replays) is sealed in the database, so a
 * restart in between is harmless and no credential is stored in clear.
 */
export function createAddAccountConversation(deps: { readonly admin: AccountAdmin; readonly view: AccountsView }) {
  return async function addAccount(conversation: Conversation<BotContext, Context>, ctx: Context, adminId: number) {
    /** The admin's next text in this chat, or undefined once they sent /cancel. */
    const next = async (): Promise<{ answer: Context; text: string } | undefined> => {
      for (;;) {
        const answer = await conversation.waitFor("message:text").andFrom(adminId);
        const text = stripInvisible(answer.message.text).trim();
        if (isCommand(text, "cancel")) {
          await answer.reply("Adding the account cancelled; nothing was stored.");
          return undefined;
        }
        if (text.startsWith("/")) {
          await answer.reply("Finish adding the account first, or /cancel.");
          continue;
        }
        return { answer, text };
      }
    };

    /** Asks for one credential; the message holding it is deleted at once, whatever it holds. */
    const credential = async (prompt: string, what: string, accept: (text: string) => boolean = (text) => CREDENTIAL_RE.test(text)) => {
      await ctx.reply(prompt);
      for (;;) {
        const got = await next();
        if (!got) return undefined;
        await got.answer.deleteMessage().catch(() =>
          got.answer.reply("⚠️ I could not delete your message: delete it yourself, it holds a secret."),
        );
        if (accept(got.text)) return got.text;
        await got.answer.reply(`That does not look like ${what} (8–200 characters, no spaces). Send it again, or /cancel.`);
      }
    };

    await ctx.reply("Adding an X account (OAuth 1.0a). Send a label for it (1–32 letters, digits, _ . or -), or /cancel.");
    let label: string | undefined;
    while (label === undefined) {
      const got = await next();
      if (!got) return;
      if (!ACCOUNT_LABEL_RE.test(got.text)) {
        await got.answer.reply("A label is 1–32 letters, digits, _ . or -. Send another, or /cancel.");
      } else if (await conversation.external(() => deps.view.labelTaken(got.text))) {
        await got.answer.reply(`The label ${got.text} is taken. Send another, or /cancel.`);
      } else {
        label = got.text;
      }
    }

    const hasEnvApp = await conversation.external((outer) => outer.config.x.accounts.length > 0);
    const isDefault = (text: string) => text.toLowerCase() === DEFAULT_APP_WORD;
    const appKey = await credential(
      hasEnvApp
        ? `Send the API key of the X app that issued the tokens, or ${DEFAULT_APP_WORD} for this bot's app (X_APP_KEY). Each message is deleted at once.`
        : "Send the API key (consumer key) of the X app that issued the tokens. Each message is deleted at once.",
      "an API key",
      (text) => CREDENTIAL_RE.test(text) || (hasEnvApp && isDefault(text)),
    );
    if (appKey === undefined) return;
    const useEnvApp = hasEnvApp && isDefault(appKey);
    const appSecret = useEnvApp ? "" : await credential("Send the app's API key secret.", "an API key secret");
    if (appSecret === undefined) return;
    const accessToken = await credential("Send the access token of the account.", "an access token");
    if (accessToken === undefined) return;
    const accessSecret = await credential("Send the access token secret.", "an access token secret");
    if (accessSecret === undefined) return;

    await ctx.reply("Checking with X…");
    const result = await conversation.external((outer) => {
      const envApp = outer.config.x.accounts[0]?.credentials;
      const app =
        useEnvApp && envApp ? { appKey: envApp.appKey, appSecret: envApp.appSecret } : { appKey, appSecret };
      return deps.admin.add(label, { authKind: "oauth1", credentials: { ...app, accessToken, accessSecret } });
    });
    await ctx.reply(result.ok ? `✅ ${result.message}` : `❌ ${result.message}`);
  };
}
