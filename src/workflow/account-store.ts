import { and, eq, isNotNull, isNull, ne, or, sql } from "drizzle-orm";
import type { Database } from "../db/database.js";
import { xAccounts } from "../db/schema.js";
import { errorCode, findInChain } from "../kit/error-chain.js";
import type { SecretBox } from "../kit/secret-box.js";
import type { XAccountCredentials, XCredentials } from "../x/twitter-client.js";
import type { XAccountClient } from "../x/types.js";
import type { XAccountRow, XAccounts } from "./accounts.js";

/** A stored OAuth 2.0 user session: the access token (sent as a Bearer token) and what renews it. */
export interface XOAuth2Session {
  readonly accessToken: string;
  readonly refreshToken?: string;
  /** When the access token expires (ISO 8601). */
  readonly expiresAt?: string;
}

/** The secrets of one account and how X checks them. */
export type AccountSecrets =
  | { readonly authKind: "oauth1"; readonly credentials: XCredentials }
  | { readonly authKind: "oauth2"; readonly credentials: XOAuth2Session };

/** What the X client is given for these secrets: OAuth 1.0a as they are, OAuth 2.0 as its Bearer access token. */
export function clientCredentialsOf(secrets: AccountSecrets): XAccountCredentials {
  return secrets.authKind === "oauth1" ? secrets.credentials : { kind: "oauth2", accessToken: secrets.credentials.accessToken };
}

/** A stored account as loaded at boot: its label and its opened secrets. */
export interface StoredAccount {
  readonly label: string;
  readonly secrets: AccountSecrets;
}

/** Makes the X client of an account (under its policy `x:<label>`); the composition root provides it. */
export type XClientFactory = (label: string, secrets: AccountSecrets) => XAccountClient;

/** Thrown at boot when the stored accounts' credentials cannot be opened: no ENCRYPTION_KEY, or not theirs. */
export class EncryptionKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EncryptionKeyError";
  }
}

/** Thrown when an account cannot be stored, enabled or removed; the message is safe to show an admin. */
export class AccountStoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AccountStoreError";
  }
}

/** What an account label may be: 1–32 letters, digits, _ . or -. */
export const ACCOUNT_LABEL_RE = /^[\w.-]{1,32}$/;
const FOREIGN_KEY_VIOLATION = "23503";

/** The stored rows that still hold credentials (a removed account's tombstone holds none). */
function storedRows(db: Database) {
  return db
    .select()
    .from(xAccounts)
    .where(and(eq(xAccounts.origin, "stored"), isNotNull(xAccounts.credentials)))
    .orderBy(xAccounts.id);
}

/** A stored row's credentials opened with the box (throws when the box's keys are not theirs); whether sealed with the previous key. */
export function openSecrets(box: SecretBox, sealed: string, authKind: AccountSecrets["authKind"]): { secrets: AccountSecrets; stale: boolean } {
  const opened = box.open(sealed);
  const credentials = JSON.parse(opened.plaintext) as AccountSecrets["credentials"];
  return { secrets: { authKind, credentials } as AccountSecrets, stale: opened.stale };
}

/**
 * Opens every stored account's credentials for the pool; those sealed with ENCRYPTION_KEY_PREVIOUS are sealed again
 * with ENCRYPTION_KEY (a key rotation completes at the first boot with both keys). Throws
 * {@link EncryptionKeyError} when accounts are stored and there is no key, or one was sealed with a key that is
 * neither. `readOnly` (the doctor, beside a running bot) opens them and writes nothing.
 */
export async function loadStoredAccounts(
  db: Database,
  box: SecretBox | undefined,
  options: { readonly readOnly?: boolean } = {},
): Promise<{ accounts: StoredAccount[]; resealed: number }> {
  const rows = await storedRows(db);
  if (rows.length === 0) return { accounts: [], resealed: 0 };
  if (!box) {
    throw new EncryptionKeyError(
      `ENCRYPTION_KEY is required: ${rows.length} X ${rows.length === 1 ? "account is" : "accounts are"} stored in the database ` +
        "(DATABASE_URL) with sealed credentials. Set the ENCRYPTION_KEY they were stored with (the same on every replica).",
    );
  }
  const accounts: StoredAccount[] = [];
  let resealed = 0;
  for (const row of rows) {
    let opened;
    try {
      opened = openSecrets(box, row.credentials!, row.authKind);
    } catch (error) {
      throw new EncryptionKeyError(
        `the credentials of X account ${row.label} cannot be opened (${(error as Error).message}): ` +
          "set ENCRYPTION_KEY (and ENCRYPTION_KEY_PREVIOUS during a rotation) to the keys they were sealed with",
      );
    }
    if (opened.stale && options.readOnly !== true) {
      await db.update(xAccounts).set({ credentials: box.seal(JSON.stringify(opened.secrets.credentials)) }).where(eq(xAccounts.id, row.id));
      resealed++;
    }
    accounts.push({ label: row.label, secrets: opened.secrets });
  }
  return { accounts, resealed };
}

/** A stored account's row as the store answers it: never its sealed credentials. */
export type AccountSummary = Omit<XAccountRow, "credentials">;

function summary(row: XAccountRow): AccountSummary {
  const { credentials: _sealed, ...rest } = row;
  return rest;
}

/** What storing a session X just issued in OAuth 2.0 (`/accounts connect`) did. */
export interface ConnectedAccount {
  readonly account: AccountSummary;
  /** The X user already had a stored account: its session was replaced in place (label, limits, bound replies kept). */
  readonly reconnected: boolean;
}

/**
 * Stores, disables, enables and removes X accounts (for `/accounts`). An account is verified with X (users/me)
 * before it is saved or enabled; its credentials are sealed (secret box) and it joins the pool at once. Every
 * committed change is reported to `onChange` (the other replicas reload their pools).
 */
export function createAccountStore(deps: {
  readonly db: Database;
  readonly accounts: XAccounts;
  /** Undefined when no key is configured (DATABASE_URL without ENCRYPTION_KEY): storing is refused. */
  readonly box: SecretBox | undefined;
  readonly makeClient: XClientFactory;
  /** Closes the breaker of an account's X calls: new credentials make the old ones' failures moot. */
  readonly resetBreaker: (label: string) => void;
  /** Called after a change to the stored accounts committed (the other replicas reload their pools). */
  readonly onChange?: () => void;
}) {
  const { db, accounts } = deps;
  const changed = () => deps.onChange?.();

  async function rowByLabel(label: string): Promise<XAccountRow> {
    const [row] = await db.select().from(xAccounts).where(eq(xAccounts.label, label));
    if (!row) throw new AccountStoreError(`No X account is labelled ${label}.`);
    return row;
  }

  function requireBox(): SecretBox {
    if (!deps.box) throw new AccountStoreError("Accounts cannot be stored without ENCRYPTION_KEY (DATABASE_URL is set).");
    return deps.box;
  }

  /** Asks X who the env accounts not yet resolved are, so a connect can tell one of them apart; best effort. */
  async function resolveEnvIdentities(): Promise<void> {
    const unknown = await db
      .select({ id: xAccounts.id })
      .from(xAccounts)
      .where(and(eq(xAccounts.origin, "env"), isNull(xAccounts.xUserId)));
    for (const { id } of unknown) {
      const account = accounts.get(id);
      if (account) await accounts.identity(account).catch(() => undefined);
    }
  }

  /** Stores an account X just verified (`me`) under a free label and adds it to the pool. */
  async function storeVerified(box: SecretBox, label: string, secrets: AccountSecrets, client: XAccountClient, me: { id: string; username: string }) {
    // A disabled account still holds its user: enabling it later would put one X user in the pool twice.
    // A removed account's tombstone (no credentials) does not; its row is reused below.
    const [same] = await db
      .select({ label: xAccounts.label, status: xAccounts.status })
      .from(xAccounts)
      .where(and(eq(xAccounts.xUserId, me.id), or(eq(xAccounts.origin, "env"), isNotNull(xAccounts.credentials))));
    if (same) {
      const disabled = same.status === "disabled" ? " (disabled)" : "";
      throw new AccountStoreError(`@${me.username} is already in the pool as ${same.label}${disabled}.`);
    }
    const values = {
      label,
      origin: "stored" as const,
      authKind: secrets.authKind,
      credentials: box.seal(JSON.stringify(secrets.credentials)),
      xUserId: me.id,
      username: me.username,
      status: "active" as const,
      lastVerifiedAt: new Date(),
      failureReason: null,
      failedAt: null,
    };
    // The same X user removed earlier: its row comes back, and with it the replies still bound to it.
    const [removed] = await db
      .select({ id: xAccounts.id })
      .from(xAccounts)
      .where(and(eq(xAccounts.origin, "stored"), isNull(xAccounts.credentials), eq(xAccounts.xUserId, me.id)));
    const [row] = removed
      ? await db.update(xAccounts).set(values).where(eq(xAccounts.id, removed.id)).returning()
      : await db.insert(xAccounts).values(values).returning();
    accounts.add({ id: row!.id, label, client });
    changed();
    return summary(row!);
  }

  return {
    /** Verifies the credentials with X, then stores them sealed and adds the account to the pool. */
    async store(label: string, secrets: AccountSecrets): Promise<AccountSummary> {
      if (!ACCOUNT_LABEL_RE.test(label)) throw new AccountStoreError("A label is 1–32 letters, digits, _ . or -.");
      const box = requireBox();
      const [taken] = await db.select({ id: xAccounts.id }).from(xAccounts).where(eq(xAccounts.label, label));
      if (taken) throw new AccountStoreError(`The label ${label} is taken.`);
      const client = deps.makeClient(label, secrets);
      const me = await client.me();
      await resolveEnvIdentities();
      return storeVerified(box, label, secrets, client, me);
    },

    /**
     * Stores an OAuth 2.0 session X just issued. When the X user already has a stored account (failed, or active
     * with stale tokens) the session is sealed into that row, which keeps its label, limits and bound replies,
     * and the account is back in the pool (`session_recovered` when it was failed; a disabled one stays disabled).
     * Otherwise it is a new account labelled `label`. An env account of that X user is refused: the env owns it.
     */
    async connect(label: string, session: XOAuth2Session): Promise<ConnectedAccount> {
      if (!ACCOUNT_LABEL_RE.test(label)) throw new AccountStoreError("A label is 1–32 letters, digits, _ . or -.");
      const box = requireBox();
      const secrets: AccountSecrets = { authKind: "oauth2", credentials: session };
      const [named] = await db.select().from(xAccounts).where(eq(xAccounts.label, label));
      // A reconnect usually follows failures that opened the breaker; a fresh session is verified regardless.
      deps.resetBreaker(label);
      const client = deps.makeClient(label, secrets);
      const me = await client.me();
      await resolveEnvIdentities();
      const [own] = await db
        .select()
        .from(xAccounts)
        .where(and(eq(xAccounts.xUserId, me.id), or(eq(xAccounts.origin, "env"), isNotNull(xAccounts.credentials))))
        .orderBy(sql`${xAccounts.status} = 'disabled'`, xAccounts.id);
      if (own?.origin === "env") {
        throw new AccountStoreError(
          `@${me.username} is ${own.label}, an account from the environment: its credentials are set there, not with /accounts connect.`,
        );
      }
      if (own) {
        await db.transaction(async (tx) => {
          // Under the row's lock, like a token refresh: a refresh waiting on it reads the new session after.
          await tx.select({ id: xAccounts.id }).from(xAccounts).where(eq(xAccounts.id, own.id)).for("update");
          await tx.update(xAccounts).set({ authKind: "oauth2", credentials: box.seal(JSON.stringify(session)) }).where(eq(xAccounts.id, own.id));
        });
        if (own.label !== label) deps.resetBreaker(own.label);
        accounts.add({ id: own.id, label: own.label, client: own.label === label ? client : deps.makeClient(own.label, secrets) });
        await accounts.markVerified(own.id, me, { quiet: false });
        changed();
        return { account: summary(await rowByLabel(own.label)), reconnected: true };
      }
      if (named) {
        const owner = named.username === null ? "another X account" : `@${named.username}`;
        throw new AccountStoreError(`The label ${label} is ${owner}'s: sign in to X as it to reconnect it, or connect @${me.username} under another label.`);
      }
      return { account: await storeVerified(box, label, secrets, client, me), reconnected: false };
    },

    /** Takes the account out of the pool until it is enabled; it is neither verified nor used meanwhile. */
    async disable(label: string): Promise<AccountSummary> {
      const row = await rowByLabel(label);
      const [updated] = await db.update(xAccounts).set({ status: "disabled" }).where(eq(xAccounts.id, row.id)).returning();
      changed();
      return summary(updated!);
    },

    /**
     * Asks X (users/me) and puts the account back: active when X accepts it, else failed with the reason. Refused
     * (the account stays as it was) when another account in the pool is the same X user, as an older version could store.
     */
    async enable(label: string): Promise<AccountSummary> {
      const row = await rowByLabel(label);
      const account = accounts.get(row.id);
      if (!account) throw new AccountStoreError(`${label} has no credentials in this process (an env account no longer in the environment?).`);
      let verified: Awaited<ReturnType<XAccountClient["me"]>> | undefined;
      let failure: string | undefined;
      try {
        verified = await account.client.me();
      } catch (error) {
        failure = (error as Error).message;
      }
      if (verified) {
        const [twin] = await db
          .select({ label: xAccounts.label })
          .from(xAccounts)
          .where(and(eq(xAccounts.xUserId, verified.id), ne(xAccounts.id, row.id), ne(xAccounts.status, "disabled")));
        if (twin) throw new AccountStoreError(`@${verified.username} is already in the pool as ${twin.label}: disable that one first.`);
      }
      // Out of "disabled" first: the status moves below never touch a disabled account.
      await db.update(xAccounts).set({ status: "failed", failureReason: "being verified" }).where(eq(xAccounts.id, row.id));
      if (verified) await accounts.markVerified(row.id, verified);
      else await db.update(xAccounts).set({ failureReason: failure, failedAt: new Date() }).where(eq(xAccounts.id, row.id));
      changed();
      return summary(await rowByLabel(label));
    },

    /**
     * Removes a stored account: its row goes, or, when posts or replies refer to it, its credentials are erased
     * and its row is kept disabled under a freed label. Env accounts are removed from the environment instead.
     */
    async remove(label: string): Promise<void> {
      const row = await rowByLabel(label);
      if (row.origin === "env") throw new AccountStoreError(`${label} comes from the environment: remove it there (or disable it).`);
      try {
        await db.delete(xAccounts).where(eq(xAccounts.id, row.id));
      } catch (error) {
        if (!findInChain(error, (link) => errorCode(link) === FOREIGN_KEY_VIOLATION)) throw error;
        await db
          .update(xAccounts)
          .set({ credentials: null, status: "disabled", label: `${label}~removed-${row.id}` })
          .where(eq(xAccounts.id, row.id));
      }
      accounts.forget(row.id);
      changed();
    },
  };
}

/** The account store's interface. */
export type AccountStore = ReturnType<typeof createAccountStore>;
