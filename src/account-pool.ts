import type { Database } from "./db/database.js";
import type { SecretBox } from "./kit/secret-box.js";
import type { Wakeups } from "./lifecycle/wakeups.js";
import type { Logger } from "./logger.js";
import { createAccountStore, type AccountStore, type StoredAccount, type XClientFactory } from "./workflow/account-store.js";
import { createAccountSync, type AccountSync } from "./workflow/account-sync.js";
import type { XAccounts } from "./workflow/accounts.js";

/** The stored X accounts as the app wires them: the store, the pool's sync with the other replicas, the change hook. */
export interface AccountPoolWiring {
  readonly store: AccountStore;
  readonly sync: AccountSync;
  /** After an admin's change here: runs the publisher (here and on the others) and redraws the cards. */
  readonly onPoolChanged: () => void;
}

/**
 * Wires the account store to the other replicas: every change it commits (add, connect, disable, enable, remove)
 * is announced as `accounts`, and their wake-up handler reloads their pool through `sync.reload` (see
 * ARCHITECTURE.md, "Replicas"). The health monitor's fail / reintegrate announces nothing of its own: it only
 * moves the row's status, which every replica reads on each use, and it already wakes the publishers.
 */
export function wireAccountPool(deps: {
  readonly db: Database;
  readonly accounts: XAccounts;
  readonly box: SecretBox | undefined;
  readonly makeClient: XClientFactory;
  readonly resetBreaker: (label: string) => void;
  readonly wakeups: Pick<Wakeups, "announce" | "publishNow">;
  readonly cards: { sync(): Promise<unknown> };
  readonly logger: Logger;
  /** The stored accounts opened at boot. */
  readonly opened: readonly StoredAccount[];
}): AccountPoolWiring {
  const { db, accounts, box, makeClient, logger } = deps;
  const store = createAccountStore({ db, accounts, box, makeClient, resetBreaker: deps.resetBreaker, onChange: () => deps.wakeups.announce("accounts") });
  return {
    store,
    sync: createAccountSync({ db, accounts, box, makeClient, logger, opened: deps.opened }),
    // An account back in (or out of) the pool changes who may publish what: wake the publisher, redraw the cards.
    onPoolChanged() {
      void deps.wakeups.publishNow();
      deps.cards.sync().catch((error: unknown) => logger.warn({ err: error }, "card sync failed; the next one retries"));
    },
  };
}
