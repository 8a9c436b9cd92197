import { and, eq } from "drizzle-orm";
import type { Database } from "../db/database.js";
import { xAccounts } from "../db/schema.js";
import { singleFlight } from "../kit/single-flight.js";
import type { SecretBox } from "../kit/secret-box.js";
import { XApiError } from "../x/errors.js";
import { X_OAUTH2_TOKEN_ENDPOINT, type XOAuth2App } from "../x/oauth2.js";
import type { XAccessTokenProvider } from "../x/twitter-client.js";
import type { XOAuth2Session } from "./account-store.js";
import type { XAccounts } from "./accounts.js";

/** An access token is renewed this long before it expires (X's last 2 h). */
export const OAUTH2_REFRESH_MARGIN_MS = 5 * 60_000;

/** What renewing stored OAuth 2.0 sessions needs. */
export interface OAuth2SessionDeps {
  readonly db: Database;
  readonly box: SecretBox;
  readonly app: Pick<XOAuth2App, "refresh">;
  /**
   * The pool, which fails an account whose session cannot be renewed (and raises session_failed). Asked only when
   * a refresh fails: the pool is built from the clients this provider serves.
   */
  readonly accounts: () => Pick<XAccounts, "all" | "setStatus">;
  readonly marginMs?: number;
  readonly now?: () => number;
}

/** The session is gone for good (or may be): the account is failed with `reason` and the admin told. */
class SessionLost extends Error {}

type Attempt = { readonly session: XOAuth2Session } | { readonly refused: XApiError };

function refusal(message: string): XApiError {
  return new XApiError({
    message,
    kind: "permanent",
    reason: "unauthorized",
    status: undefined,
    resetAt: undefined,
    // The request the token was asked for was never sent.
    mayHaveSucceeded: false,
    method: "POST",
    endpoint: X_OAUTH2_TOKEN_ENDPOINT,
  });
}

/**
 * The access-token provider of a stored OAuth 2.0 account (given to its X client, asked before every request).
 * Near expiry it renews the session under the account row's lock (`SELECT … FOR UPDATE`), so exactly one process
 * of all replicas calls X: the session is read again inside the lock, and one another process renewed meanwhile is
 * used as it is. X rotates refresh tokens, so the new pair is sealed and committed before its access token is used.
 * A refresh X refuses, or whose answer was lost (X may have rotated the token), fails the account with the reason
 * ("reconnect needed") instead of retrying in a loop.
 */
export function oauth2TokenProvider(deps: OAuth2SessionDeps, label: string, initial: XOAuth2Session): XAccessTokenProvider {
  const marginMs = deps.marginMs ?? OAUTH2_REFRESH_MARGIN_MS;
  const now = deps.now ?? Date.now;
  const due = (session: XOAuth2Session) => session.expiresAt !== undefined && Date.parse(session.expiresAt) - marginMs <= now();
  let current = initial;

  /** Fails an active account (a failed one keeps its first reason: one session_failed per failure). */
  async function markFailed(reason: string): Promise<void> {
    const pool = deps.accounts();
    const account = pool.all().find((known) => known.label === label);
    if (account) await pool.setStatus(account.id, "failed", reason);
  }

  async function attempt(): Promise<Attempt> {
    let rotated = false;
    try {
      return await deps.db.transaction(async (tx): Promise<Attempt> => {
        const [row] = await tx
          .select({ credentials: xAccounts.credentials, authKind: xAccounts.authKind })
          .from(xAccounts)
          .where(and(eq(xAccounts.label, label), eq(xAccounts.origin, "stored")))
          .for("update");
        if (row?.credentials == null || row.authKind !== "oauth2") throw new SessionLost("its OAuth 2.0 session is no longer stored");
        const stored = JSON.parse(deps.box.open(row.credentials).plaintext) as XOAuth2Session;
        // Another process (or replica) renewed it while this one waited for the lock: use its token.
        if (!due(stored)) return { session: stored };
        if (stored.refreshToken === undefined) {
          throw new SessionLost("its access token expired and no refresh token is stored: reconnect needed (/accounts connect)");
        }
        // Not aborted by the caller: an abandoned refresh could leave X's rotated token unsaved.
        const tokens = await deps.app.refresh(stored.refreshToken).catch((error: unknown) => {
          if (!(error instanceof XApiError)) throw error;
          return error;
        });
        if (tokens instanceof XApiError) {
          if (tokens.kind !== "permanent") throw tokens;
          // 400: X refused the refresh token itself. It is dead: forget it so no later call asks X again.
          if (tokens.status === 400) {
            const { refreshToken: _dead, ...rest } = stored;
            await tx.update(xAccounts).set({ credentials: deps.box.seal(JSON.stringify(rest)) }).where(eq(xAccounts.label, label));
          }
          return { refused: tokens };
        }
        rotated = true;
        const session: XOAuth2Session = {
          accessToken: tokens.accessToken,
          refreshToken: tokens.refreshToken,
          expiresAt: tokens.expiresAt.toISOString(),
        };
        await tx.update(xAccounts).set({ credentials: deps.box.seal(JSON.stringify(session)) }).where(eq(xAccounts.label, label));
        return { session };
      });
    } catch (error) {
      if (error instanceof SessionLost) throw error;
      if (error instanceof XApiError && error.mayHaveSucceeded) {
        throw new SessionLost(
          "the answer to its token refresh was lost and X may have rotated the refresh token: reconnect needed " +
            "(/accounts connect) if the maintenance recheck does not bring it back",
        );
      }
      if (rotated) throw new SessionLost("X renewed its session but the new tokens could not be saved: reconnect needed (/accounts connect)");
      throw error;
    }
  }

  const renew = singleFlight(async (): Promise<XOAuth2Session> => {
    let outcome: Attempt;
    try {
      outcome = await attempt();
    } catch (error) {
      if (!(error instanceof SessionLost)) throw error;
      await markFailed(error.message);
      throw refusal(`X account ${label}: ${error.message}`);
    }
    if ("refused" in outcome) {
      const reason =
        outcome.refused.status === 401
          ? "X refused the app's OAuth 2.0 client (check X_CLIENT_ID and X_CLIENT_SECRET)"
          : "X refused to renew its OAuth 2.0 session (revoked or expired): reconnect needed (/accounts connect)";
      await markFailed(reason);
      throw refusal(`X account ${label}: ${reason}`);
    }
    current = outcome.session;
    return current;
  });

  return async () => {
    if (!due(current)) return current.accessToken;
    return (await renew()).accessToken;
  };
}
