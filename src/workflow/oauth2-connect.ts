import { createHash } from "node:crypto";
import { and, eq, gt, isNull, lt, sql } from "drizzle-orm";
import type { Database } from "../db/database.js";
import { xAccounts, xOAuthRequests } from "../db/schema.js";
import type { SecretBox } from "../kit/secret-box.js";
import { escapeHtml } from "../text/html.js";
import { XApiError } from "../x/errors.js";
import type { XOAuth2App } from "../x/oauth2.js";
import { AccountStoreError, type AccountStore } from "./account-store.js";

/** How long an authorization link can be completed. */
export const OAUTH2_CONNECT_TTL_MS = 10 * 60_000;
/** Finished or expired connects are kept this long (to tell "already used" apart), then deleted. */
const KEEP_FINISHED_MS = 24 * 3_600_000;
const LABEL_RE = /^[\w.-]{1,32}$/;

/** Thrown when a connect cannot start; the message is safe to show an admin. */
export class ConnectError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConnectError";
  }
}

/** What the callback page says: `ok` with the account connected, or an HTTP status and a short reason. */
export type ConnectOutcome =
  | { readonly ok: true; readonly label: string; readonly username: string; readonly reconnected: boolean }
  | { readonly ok: false; readonly status: 400 | 409 | 502; readonly message: string };

/** X's redirect back to us: the state, and the code or X's `error` (e.g. `access_denied`). */
export interface ConnectCallback {
  readonly state: string;
  readonly code?: string;
  readonly error?: string;
}

/** What connecting accounts in OAuth 2.0 user context needs. */
export interface OAuth2ConnectDeps {
  readonly db: Database;
  /** Undefined while X_CLIENT_ID or PUBLIC_URL is unset. */
  readonly app: XOAuth2App | undefined;
  /** The settings connecting still needs (named in the refusal). */
  readonly missing: readonly string[];
  /** Undefined when no key is configured (DATABASE_URL without ENCRYPTION_KEY). */
  readonly box: SecretBox | undefined;
  readonly store: Pick<AccountStore, "connect">;
  /** Called when an account joined or rejoined the pool (its waiting replies can go out). */
  readonly onPoolChanged?: () => void;
  /** Sends an HTML message to the admin chat. */
  readonly tellAdmins: (html: string) => Promise<void>;
  readonly ttlMs?: number;
}

const stateHash = (state: string) => createHash("sha256").update(state).digest("hex");

/**
 * Connecting an X account in OAuth 2.0 user context: `start` makes an authorization link (PKCE S256 + state) and
 * stores the pending request (the verifier sealed) in the database, so whichever process gets X's callback can
 * `complete` it, once: code exchanged, users/me read with the new token, the session stored sealed (into the X
 * user's existing account when it has one: a reconnect), the account in the pool at once, the admin chat told.
 */
export function createOAuth2Connect(deps: OAuth2ConnectDeps) {
  const { db } = deps;
  const ttlMs = deps.ttlMs ?? OAUTH2_CONNECT_TTL_MS;

  return {
    /** A new authorization link for an account to be labelled `label`; throws {@link ConnectError} when it cannot. */
    async start(label: string, requestedBy: number | undefined): Promise<{ url: string; expiresAt: Date }> {
      if (!deps.app) throw new ConnectError(`Connecting X accounts needs ${deps.missing.join(" and ")} (see .env.example).`);
      if (!deps.box) throw new ConnectError("Accounts cannot be stored without ENCRYPTION_KEY (DATABASE_URL is set).");
      if (!LABEL_RE.test(label)) throw new ConnectError("A label is 1–32 letters, digits, _ . or -.");
      // A stored account's own label is fine: connecting it again replaces its session (see AccountStore.connect).
      const [taken] = await db.select({ origin: xAccounts.origin }).from(xAccounts).where(eq(xAccounts.label, label));
      if (taken?.origin === "env") throw new ConnectError(`${label} comes from the environment: its credentials are set there.`);
      const link = deps.app.authLink();
      const expiresAt = new Date(Date.now() + ttlMs);
      await db.delete(xOAuthRequests).where(lt(xOAuthRequests.expiresAt, new Date(Date.now() - KEEP_FINISHED_MS)));
      await db.insert(xOAuthRequests).values({
        stateHash: stateHash(link.state),
        codeVerifier: deps.box.seal(link.codeVerifier),
        label,
        requestedBy,
        expiresAt,
      });
      return { url: link.url, expiresAt };
    },

    /** Finishes the connect X redirected back with; a state that is unknown, expired or used is refused (400). */
    async complete(callback: ConnectCallback): Promise<ConnectOutcome> {
      const [pending] = await db
        .update(xOAuthRequests)
        .set({ usedAt: sql`now()` })
        .where(
          and(eq(xOAuthRequests.stateHash, stateHash(callback.state)), isNull(xOAuthRequests.usedAt), gt(xOAuthRequests.expiresAt, sql`now()`)),
        )
        .returning();
      if (!pending) return { ok: false, status: 400, message: "This link is unknown, expired or already used. Ask the bot for a new one." };
      if (!deps.app || !deps.box) return { ok: false, status: 400, message: "Connecting X accounts is not configured on this bot." };
      if (callback.error !== undefined || callback.code === undefined) {
        const denied = callback.error === "access_denied";
        await deps.tellAdmins(`Connecting ${escapeHtml(pending.label)} was ${denied ? "cancelled on X (not authorized)" : "refused by X"}.`);
        return {
          ok: false,
          status: 400,
          message: denied ? "You did not authorize the app on X: nothing was connected." : "X did not authorize the app: nothing was connected.",
        };
      }
      let tokens;
      try {
        tokens = await deps.app.exchangeCode(callback.code, deps.box.open(pending.codeVerifier).plaintext);
      } catch (error) {
        if (!(error instanceof XApiError)) throw error;
        const refused = error.kind === "permanent";
        return { ok: false, status: refused ? 400 : 502, message: refused ? "X refused the authorization code." : "X could not be reached; try again." };
      }
      const credentials = { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken, expiresAt: tokens.expiresAt.toISOString() };
      try {
        const { account, reconnected } = await deps.store.connect(pending.label, credentials);
        const handle = escapeHtml(`@${account.username ?? "?"}`);
        const label = escapeHtml(account.label);
        await deps.tellAdmins(
          !reconnected
            ? `✅ Connected ${handle} as <b>${label}</b>.`
            : account.status === "disabled"
              ? `🔑 Reconnected ${handle} (<b>${label}</b>): new session stored; it stays disabled until /accounts enable ${label}.`
              : `🔑 Reconnected ${handle} (<b>${label}</b>): new session stored, back in the pool.`,
        );
        deps.onPoolChanged?.();
        return { ok: true, label: account.label, username: account.username ?? "", reconnected };
      } catch (error) {
        // Not kept: the tokens just issued are given back to X.
        await deps.app.revoke(tokens.refreshToken, "refresh_token").catch(() => undefined);
        if (error instanceof AccountStoreError) return { ok: false, status: 409, message: error.message };
        if (error instanceof XApiError) return { ok: false, status: 502, message: "X did not accept the new session; try again." };
        throw error;
      }
    },
  };
}

/** The OAuth 2.0 connect service. */
export type OAuth2Connect = ReturnType<typeof createOAuth2Connect>;
