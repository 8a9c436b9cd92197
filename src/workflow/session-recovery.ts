import { setTimeout as sleep } from "node:timers/promises";
import { isXApiError } from "../x/errors.js";
import { isAccountRefusal } from "./account-refusal.js";
import type { XAccount, XAccounts } from "./accounts.js";
import type { NoticeSink } from "./notices.js";

/** The bounds of the boot verification (SESSION_RECOVERY_*). */
export interface SessionRecoverySettings {
  readonly startupDelayMs: number;
  readonly timeoutMs: number;
  readonly maxRetries: number;
  readonly retryDelayMs: number;
}

/** What one recovery found. */
export interface SessionRecoveryReport {
  readonly restored: readonly string[];
  readonly failed: readonly { readonly account: string; readonly reason: string }[];
  readonly tookMs: number;
}

/** Prefix of the reason of an account X could not be reached for (network, timeout, 5xx, 429, open breaker). */
export const UNREACHABLE = "unreachable";
/** Prefix of the reason of an account X answered about, but neither accepted nor refused (a 400 or 404 on users/me). */
const UNVERIFIED = "unverified";

/** A running recovery: its outcome (undefined when stopped first), and how to stop it. */
export interface SessionRecovery {
  readonly done: Promise<SessionRecoveryReport | undefined>;
  /** Stops waiting and verifying; resolves once nothing more is written. */
  stop(): Promise<void>;
}

type Verdict = { readonly ok: true; readonly me: { id: string; username: string } } | { readonly ok: false; readonly reason: string };

/**
 * One account's verification: users/me, each try bounded by `timeoutMs`, retried `maxRetries` times after
 * `retryDelayMs` unless X refused the account (account-refusal.ts: no retry). What stays unanswered is
 * "unreachable"; what X kept answering without a verdict on the account (a 400, a 404) is "unverified".
 */
async function verify(account: XAccount, settings: SessionRecoverySettings, stopped: AbortSignal): Promise<Verdict> {
  let last = { error: "", answered: false };
  for (let attempt = 0; attempt <= settings.maxRetries; attempt++) {
    if (attempt > 0) await sleep(settings.retryDelayMs, undefined, { signal: stopped });
    stopped.throwIfAborted();
    try {
      return { ok: true, me: await account.client.me(AbortSignal.any([stopped, AbortSignal.timeout(settings.timeoutMs)])) };
    } catch (error) {
      stopped.throwIfAborted();
      if (isXApiError(error) && isAccountRefusal(error, "users/me")) return { ok: false, reason: error.message };
      last = { error: error instanceof Error ? error.message : String(error), answered: isXApiError(error) && error.kind === "permanent" };
    }
  }
  return { ok: false, reason: `${last.answered ? UNVERIFIED : UNREACHABLE} after ${settings.maxRetries + 1} tries (${last.error})` };
}

/**
 * Verifies every account that is not disabled with X, in the background after `startupDelayMs` (the bot already
 * answers meanwhile): accepted → active, `last_verified_at` now; refused (401/403) at once, or unreachable or
 * unverified after the retries → failed with the reason, out of the pool until the health monitor finds it working
 * (users/me answers it). One `sessions_verified` notice reports the outcome.
 */
export function startSessionRecovery(deps: {
  readonly accounts: XAccounts;
  readonly settings: SessionRecoverySettings;
  readonly notify: NoticeSink;
  readonly now?: () => number;
}): SessionRecovery {
  const { accounts, settings } = deps;
  const now = deps.now ?? (() => performance.now());
  const stopping = new AbortController();
  const stopped = stopping.signal;

  async function run(): Promise<SessionRecoveryReport> {
    await sleep(settings.startupDelayMs, undefined, { signal: stopped });
    const started = now();
    const rows = await accounts.rows();
    const candidates = accounts.all().filter((account) => rows.find((row) => row.id === account.id)?.status !== "disabled");
    const verdicts = await Promise.all(candidates.map((account) => verify(account, settings, stopped)));
    stopped.throwIfAborted();
    const restored: string[] = [];
    const failed: { account: string; reason: string }[] = [];
    for (const [index, account] of candidates.entries()) {
      const verdict = verdicts[index]!;
      if (verdict.ok) {
        await accounts.markVerified(account.id, verdict.me);
        restored.push(account.label);
      } else {
        await accounts.setStatus(account.id, "failed", verdict.reason, { quiet: true });
        failed.push({ account: account.label, reason: verdict.reason });
      }
    }
    const report = { restored, failed, tookMs: Math.round(now() - started) };
    deps.notify({ kind: "sessions_verified", ...report });
    return report;
  }

  const done = run().catch((error: unknown) => {
    if (stopped.aborted) return undefined;
    throw error;
  });
  return {
    done,
    async stop() {
      stopping.abort();
      await done.catch(() => undefined);
    },
  };
}
