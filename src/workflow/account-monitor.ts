import type { Logger } from "../logger.js";
import { isXApiError } from "../x/errors.js";
import { isAccountRefusal } from "./account-refusal.js";
import type { XAccount, XAccountRow, XAccounts } from "./accounts.js";

/** The users/me endpoint key of the clients' rate-limit windows. */
const USERS_ME = "GET /2/users/me";

/** What the health monitor needs. */
export interface AccountMonitorDeps {
  readonly accounts: XAccounts;
  readonly logger: Logger;
  /** ACCOUNT_HEALTH_INTERVAL_SECONDS, in ms: how often each account is checked at most. */
  readonly intervalMs: number;
  /** ACCOUNT_FAIL_AFTER_SECONDS, in ms: how long an account's breaker may stay open before it is failed. */
  readonly failAfterMs: number;
  /** Since when the account's X breaker has not been closed (undefined while closed). */
  readonly breakerDownSince: (account: XAccount) => Date | undefined;
  /** Runs the publisher now: a recovered account takes its work, the cards of replies held to a changed account are redrawn. */
  readonly wakePublisher: () => void;
  readonly now?: () => Date;
}

/** What one pass did, per account label. */
export interface MonitorRunResult {
  /** Accounts asked users/me. */
  readonly checked: string[];
  /** Active accounts that left the pool. */
  readonly failed: string[];
  /** Failed accounts that came back. */
  readonly recovered: string[];
}

/**
 * The health monitor of the account pool, run often (every few seconds) and acting on each account at most once
 * per interval. An active account is asked users/me, unless it proved itself since its last check (X answered one
 * of its calls: a post, a read) or its users/me window is nearly spent; it fails (out of the pool, `session_failed`)
 * on 401/403, or without any call when its breaker has stayed open past `failAfterMs`. A failed account is asked
 * users/me on the same schedule and, when X answers, rejoins the pool (`session_recovered`) and the publisher is
 * woken so it takes new work at once. Disabled accounts are never asked. Network errors, 5xx and 429 decide nothing:
 * the breaker counts them.
 */
export function createAccountMonitor(deps: AccountMonitorDeps) {
  const { accounts, logger } = deps;
  const now = deps.now ?? (() => new Date());
  /** Per account: when it was last looked at, its status and its success count then. */
  const lastLook = new Map<number, { at: number; status: string; successes: number }>();

  /** Whether users/me has few calls left in its window (a reserve of a tenth is kept for the rest of the app). */
  function meWindowNearlySpent(account: XAccount, at: number): boolean {
    const window = account.client.rateLimits().get(USERS_ME);
    if (!window || window.resetAt.getTime() <= at) return false;
    return window.remaining <= Math.max(1, Math.floor(window.limit / 10));
  }

  /** users/me: the identity when X answered, "refused" with X's reason on 401/403, undefined when X could not tell. */
  async function askX(account: XAccount): Promise<{ me: { id: string; username: string } } | { refused: string } | undefined> {
    try {
      return { me: await account.client.me() };
    } catch (error) {
      if (isXApiError(error) && isAccountRefusal(error, "users/me")) return { refused: error.message };
      logger.debug({ err: error, account: account.label }, "account health check inconclusive");
      return undefined;
    }
  }

  async function checkActive(account: XAccount, at: number, successesBefore: number, result: MonitorRunResult): Promise<void> {
    const downSince = deps.breakerDownSince(account);
    if (downSince && at - downSince.getTime() >= deps.failAfterMs) {
      const minutes = Math.round((at - downSince.getTime()) / 60_000);
      const reason = `X has not answered it for ${minutes} min (its circuit breaker stayed open since ${downSince.toISOString()})`;
      if (await accounts.setStatus(account.id, "failed", reason)) result.failed.push(account.label);
      return;
    }
    if (accounts.successes(account.id) > successesBefore) return;
    if (meWindowNearlySpent(account, at)) return;
    result.checked.push(account.label);
    const answer = await askX(account);
    if (answer && "refused" in answer) {
      if (await accounts.setStatus(account.id, "failed", answer.refused)) result.failed.push(account.label);
    } else if (answer) {
      await accounts.markVerified(account.id, answer.me);
    }
  }

  async function recheckFailed(account: XAccount, result: MonitorRunResult): Promise<void> {
    result.checked.push(account.label);
    const answer = await askX(account);
    if (answer && "me" in answer && (await accounts.markVerified(account.id, answer.me, { quiet: false }))) {
      result.recovered.push(account.label);
    }
  }

  async function look(row: XAccountRow, result: MonitorRunResult): Promise<void> {
    const account = accounts.get(row.id);
    const at = now().getTime();
    if (!account || row.status === "disabled") return;
    const last = lastLook.get(account.id);
    // Due once per interval, and at once after its status changed elsewhere (the publisher met a 401, an admin).
    if (last !== undefined && last.status === row.status && at - last.at < deps.intervalMs) return;
    // An active account seen for the first time waits one interval: the boot verification has just asked X.
    if (row.status === "active" && last !== undefined) await checkActive(account, at, last.successes, result);
    else if (row.status === "failed") await recheckFailed(account, result);
    const status = result.failed.includes(account.label) ? "failed" : result.recovered.includes(account.label) ? "active" : row.status;
    // Counted after our own users/me, so only the rest of the app's calls count as activity next time.
    lastLook.set(account.id, { at, status, successes: accounts.successes(account.id) });
  }

  return {
    /** One pass over the pool; wakes the publisher when an account left or rejoined it. */
    async runOnce(): Promise<MonitorRunResult> {
      const result: MonitorRunResult = { checked: [], failed: [], recovered: [] };
      for (const row of await accounts.rows()) await look(row, result);
      if (result.failed.length > 0 || result.recovered.length > 0) {
        logger.info(result, "account pool changed");
        deps.wakePublisher();
      }
      return result;
    },
  };
}

/** The account health monitor. */
export type AccountMonitor = ReturnType<typeof createAccountMonitor>;
