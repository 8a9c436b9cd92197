import { createHash } from "node:crypto";
import type { Database } from "../db/database.js";
import { xAccounts } from "../db/schema.js";
import { singleFlight } from "../kit/single-flight.js";
import type { SecretBox } from "../kit/secret-box.js";
import type { Logger } from "../logger.js";
import type { XAccounts } from "./accounts.js";
import { EncryptionKeyError, openSecrets, type AccountSecrets, type StoredAccount, type XClientFactory } from "./account-store.js";

/** What one reload changed in this replica's pool, by label. */
export interface AccountReload {
  /** Stored accounts this replica had no client for. */
  readonly added: readonly string[];
  /** Accounts whose row is gone or holds no credentials any more (removed). */
  readonly removed: readonly string[];
  /** Accounts whose label or credentials changed (a reconnect, a refresh made elsewhere): a new client. */
  readonly replaced: readonly string[];
  /** Stored accounts whose credentials could not be opened; retried by the next reload. */
  readonly failed: readonly string[];
}

const combine = (total: AccountReload, next: AccountReload): AccountReload => ({
  added: [...total.added, ...next.added],
  removed: [...total.removed, ...next.removed],
  replaced: [...total.replaced, ...next.replaced],
  failed: next.failed,
});

/** Which credentials (and label: the policy is named after it) a client was built from, without keeping them. */
function fingerprint(label: string, secrets: AccountSecrets): string {
  return createHash("sha256").update(JSON.stringify([label, secrets.authKind, secrets.credentials])).digest("hex");
}

/**
 * Keeps this replica's X account pool in step with the `x_accounts` rows another replica changed (`accounts`
 * wake-up): stored accounts it has no client for are opened with the secret box and join, removed ones leave, and
 * one whose label or credentials changed gets a new client. Statuses (active, failed, disabled) need nothing here:
 * every reader of the pool reads them from the rows. A client that leaves is only dropped from the pool, never
 * closed, so a publish in flight with it finishes. Reloads run one at a time (one asked during a run makes it read
 * the rows once more); a reload that fails is logged and owed: `catchUp` (the publish poll) does it again.
 */
export function createAccountSync(deps: {
  readonly db: Database;
  readonly accounts: XAccounts;
  /** Undefined when no key is configured: stored accounts cannot be opened (the boot refused to start with any). */
  readonly box: SecretBox | undefined;
  readonly makeClient: XClientFactory;
  readonly logger: Logger;
  /** The stored accounts opened at boot, whose clients are in the pool already. */
  readonly opened?: readonly StoredAccount[];
}) {
  const { accounts, logger } = deps;
  const fingerprints = new Map<number, string>();
  for (const { label, secrets } of deps.opened ?? []) {
    const account = accounts.all().find((known) => known.label === label);
    if (account) fingerprints.set(account.id, fingerprint(label, secrets));
  }
  let owed = false;

  function open(credentials: string, authKind: AccountSecrets["authKind"]): AccountSecrets {
    if (!deps.box) throw new EncryptionKeyError("ENCRYPTION_KEY is not set on this replica: stored X accounts cannot be opened");
    return openSecrets(deps.box, credentials, authKind).secrets;
  }

  async function pass(): Promise<AccountReload> {
    const rows = await deps.db
      .select({ id: xAccounts.id, label: xAccounts.label, origin: xAccounts.origin, authKind: xAccounts.authKind, credentials: xAccounts.credentials })
      .from(xAccounts)
      .orderBy(xAccounts.id);
    const byId = new Map(rows.map((row) => [row.id, row]));
    const result = { added: [] as string[], removed: [] as string[], replaced: [] as string[], failed: [] as string[] };
    for (const account of accounts.all()) {
      const row = byId.get(account.id);
      if (row && (row.origin === "env" || row.credentials !== null)) continue;
      accounts.forget(account.id);
      fingerprints.delete(account.id);
      result.removed.push(account.label);
    }
    for (const row of rows) {
      if (row.origin !== "stored" || row.credentials === null) continue;
      try {
        const secrets = open(row.credentials, row.authKind);
        const print = fingerprint(row.label, secrets);
        const known = accounts.get(row.id);
        if (known && fingerprints.get(row.id) === print) continue;
        const client = deps.makeClient(row.label, secrets);
        // Forgotten first, so a label change also takes its health component along.
        if (known) accounts.forget(row.id);
        accounts.add({ id: row.id, label: row.label, client });
        fingerprints.set(row.id, print);
        (known ? result.replaced : result.added).push(row.label);
      } catch (error) {
        result.failed.push(row.label);
        logger.error({ err: error, account: row.label }, "stored X account not (re)loaded; the next wake-up or publish poll retries");
      }
    }
    return result;
  }

  const reloadOnce = singleFlight(pass, { rerun: true, combine });

  /** Reloads the pool from the rows; never throws (a failure is logged and owed). Undefined when it failed. */
  async function reload(): Promise<AccountReload | undefined> {
    try {
      const result = await reloadOnce();
      owed = result.failed.length > 0;
      if (result.added.length + result.removed.length + result.replaced.length > 0) {
        logger.info({ added: result.added, removed: result.removed, replaced: result.replaced }, "X account pool reloaded");
      }
      return result;
    } catch (error) {
      owed = true;
      logger.warn({ err: error }, "X account pool not reloaded; the next wake-up or publish poll retries");
      return undefined;
    }
  }

  return {
    reload,
    /** Reloads again when the last reload failed (called before each publish run); otherwise does nothing. */
    async catchUp(): Promise<void> {
      if (owed) await reload();
    },
  };
}

/** Keeps the account pool in step with the other replicas' changes. */
export type AccountSync = ReturnType<typeof createAccountSync>;
