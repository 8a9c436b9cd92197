import type { Database } from "../db/database.js";
import { findInChain } from "../kit/error-chain.js";
import { classifyFailure } from "../resilience/failure.js";
import { XApiError } from "../x/errors.js";
import type { XAccounts } from "./accounts.js";
import { AccountStoreError, type AccountSecrets, type AccountStore } from "./account-store.js";
import { cancelBoundReplies } from "./replies/cancel-bound-replies.js";

/** What an `/accounts` action did, in words an admin reads; never holds a secret. */
export type AccountActionResult = { readonly ok: boolean; readonly message: string };

/** What to do with the waiting replies only the removed account may publish. */
export type BoundRepliesChoice = "cancel" | "keep";

/** Why X (or the way to it) did not accept new credentials, without echoing anything secret. */
function refusal(error: unknown): string {
  if (error instanceof AccountStoreError) return error.message;
  const found = findInChain(error, (link) => link instanceof XApiError);
  const xError = found instanceof XApiError ? found : undefined;
  if (xError?.reason === "unauthorized") return "X refused these credentials (401): check the access token and secret, and that the app issued them.";
  // A suspended account is a 403 too (X's own word for it): it is refused, not worth trying again later.
  if (xError?.reason === "forbidden" || xError?.reason === "account_suspended") return "X refused this account (403): it may be suspended or locked.";
  if (xError) return `X could not verify the account (${xError.reason.replace("_", " ")}); try again later.`;
  if (classifyFailure(error).reason === "circuit_open") return "X is resting after failures (circuit open); try again later.";
  throw error;
}

const accountName = (label: string, username: string | null) => (username ? `${label} (@${username})` : label);

/**
 * The `/accounts` actions: add (verified with X before it is saved), disable, enable (verified again) and remove
 * (with the admin's choice for the replies bound to the account), each answered in one line. After a change the pool
 * sees, the cards are redrawn and the publisher woken (`onPoolChanged`).
 */
export function createAccountAdmin(deps: {
  readonly db: Database;
  readonly store: AccountStore;
  readonly accounts: XAccounts;
  /** False when credentials cannot be sealed (DATABASE_URL without ENCRYPTION_KEY): adding is refused up front. */
  readonly canStore: boolean;
  readonly onPoolChanged?: () => void;
}) {
  const { store, accounts } = deps;
  const changed = () => deps.onPoolChanged?.();
  const rowOf = async (label: string) => (await accounts.rows()).find((row) => row.label === label);

  return {
    /** Whether new accounts can be stored at all (their credentials need a key). */
    canStore: deps.canStore,

    /** Verifies the credentials with X (users/me) and stores them sealed; a refusal says why and stores nothing. */
    async add(label: string, secrets: AccountSecrets): Promise<AccountActionResult> {
      try {
        const added = await store.store(label, secrets);
        changed();
        return { ok: true, message: `Added @${added.username ?? "?"} as ${added.label}.` };
      } catch (error) {
        return { ok: false, message: `${refusal(error)} Nothing was stored.` };
      }
    },

    /** Takes the account out of the pool (env accounts too: the row's status); it gets no work until enabled. */
    async disable(label: string): Promise<AccountActionResult> {
      const row = await rowOf(label);
      if (!row) return { ok: false, message: `No account ${label}.` };
      if (row.status === "disabled") return { ok: false, message: `${label} is already disabled.` };
      await store.disable(label);
      changed();
      return { ok: true, message: `Disabled ${accountName(label, row.username)}: it gets no work until /accounts enable ${label}.` };
    },

    /** Asks X (users/me) and puts the account back in the pool when X accepts it. */
    async enable(label: string): Promise<AccountActionResult> {
      const row = await rowOf(label);
      if (!row) return { ok: false, message: `No account ${label}.` };
      if (row.status === "active") return { ok: false, message: `${label} is already active.` };
      try {
        const after = await store.enable(label);
        changed();
        if (after.status === "active") return { ok: true, message: `Enabled ${accountName(label, after.username)}: X accepted it.` };
        return { ok: false, message: `${label} stays out of the pool: X did not accept it (${after.failureReason ?? "no reason given"}).` };
      } catch (error) {
        return { ok: false, message: refusal(error) };
      }
    },

    /**
     * Removes a stored account after handling its bound waiting replies: `cancel` cancels them (those an attempt may
     * have posted stay), `keep` leaves them bound, to go out if the same X account is added again.
     */
    async remove(accountId: number, choice: BoundRepliesChoice): Promise<AccountActionResult> {
      const row = (await accounts.rows()).find((candidate) => candidate.id === accountId);
      if (!row) return { ok: false, message: "This account is no longer in the pool." };
      if (row.origin === "env") return { ok: false, message: `${row.label} comes from the environment: remove it there (or disable it).` };
      const name = accountName(row.label, row.username);
      const cancelled = choice === "cancel" ? await cancelBoundReplies(deps.db, row.id, `${name} was removed`) : [];
      try {
        await store.remove(row.label);
      } catch (error) {
        return { ok: false, message: refusal(error) };
      } finally {
        changed();
      }
      if (choice === "keep") return { ok: true, message: `Removed ${name}; its bound replies wait for it to be added again.` };
      const n = cancelled.length;
      return { ok: true, message: n === 0 ? `Removed ${name}.` : `Removed ${name}; ${n} bound ${n === 1 ? "reply" : "replies"} cancelled.` };
    },
  };
}

/** The `/accounts` actions. */
export type AccountAdmin = ReturnType<typeof createAccountAdmin>;
