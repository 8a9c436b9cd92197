import { PRIMARY_ACCOUNT_LABEL, type Config } from "../config.js";
import { accountsSecretBox } from "../db/key-file.js";
import { readMigrationStatus } from "../db/migration-status.js";
import { withDeadline } from "../resilience/deadline.js";
import { clientCredentialsOf, EncryptionKeyError, loadStoredAccounts, type AccountSecrets, type StoredAccount } from "../workflow/account-store.js";
import { isXApiError } from "../x/errors.js";
import { createXAccountClient } from "../x/twitter-client.js";
import { fail, ok, reasonOf, skip, warn, type CheckLine, type DoctorCheck } from "./check.js";
import type { DatabaseProbe } from "./database-access.js";

const NAME = "X accounts";
const STORED = "X stored accounts";

/** One account to verify: where its secrets come from decides what to tell the operator to fix. */
interface Candidate {
  readonly label: string;
  readonly origin: "env" | "stored";
  readonly secrets: AccountSecrets;
}

function lineName(label: string): string {
  return `X account ${label}`;
}

function credentialsFix(candidate: Candidate): string {
  if (candidate.origin === "stored") return "connect it again with /accounts (the stored tokens were revoked or expired)";
  if (candidate.label === PRIMARY_ACCOUNT_LABEL) return "check X_APP_KEY, X_APP_SECRET, X_ACCESS_TOKEN and X_ACCESS_SECRET";
  return `check this account's tokens in X_EXTRA_ACCOUNTS (and X_APP_KEY, X_APP_SECRET)`;
}

function kindOf(candidate: Candidate): string {
  return `${candidate.origin}, OAuth ${candidate.secrets.authKind === "oauth1" ? "1.0a" : "2.0"}`;
}

/** The line for a failed users/me, from the X port's classified error. */
function failureLine(candidate: Candidate, error: unknown): CheckLine {
  const name = lineName(candidate.label);
  if (!isXApiError(error)) return fail(name, reasonOf(error), "check X_API_ROOT and this machine's network");
  switch (error.reason) {
    case "unauthorized":
      return fail(name, `rejected (${error.status ?? 401})`, credentialsFix(candidate));
    case "account_suspended":
      return fail(name, `suspended or locked on X (${error.status ?? 403})`, "sign in to the account on x.com and resolve it");
    case "forbidden":
      return fail(name, `refused (${error.status ?? 403})`, "check the app's permissions (Read and write) and its project in the X developer portal");
    case "rate_limited":
      return warn(name, `rate limited on users/me until ${error.resetAt?.toISOString() ?? "later"}`, "nothing to do: the window resets by itself");
    case "network":
    case "timeout":
    case "server_error":
    case "aborted":
      return fail(name, `X unreachable (${error.message})`, "check X_API_ROOT and this machine's network");
    default:
      return fail(name, error.message, credentialsFix(candidate));
  }
}

/** An OAuth 2.0 access token lasts 2 h; the doctor never renews one (a renewal rotates the refresh token under the bot). */
function expiredLine(candidate: Candidate, config: Config): CheckLine | undefined {
  if (candidate.secrets.authKind !== "oauth2") return undefined;
  const expiresAt = candidate.secrets.credentials.expiresAt;
  if (expiresAt === undefined || Date.parse(expiresAt) > Date.now()) return undefined;
  const name = lineName(candidate.label);
  if (config.xOAuth2.client === undefined || candidate.secrets.credentials.refreshToken === undefined) {
    return fail(name, `OAuth 2.0 access token expired at ${expiresAt} and cannot be renewed`, "set X_CLIENT_ID and PUBLIC_URL, or connect the account again with /accounts");
  }
  return ok(name, `OAuth 2.0 access token expired at ${expiresAt}; the bot renews it at its next X call (not renewed here)`);
}

/** The secret values of an account, masked in the output like the config's. */
function secretValues(secrets: AccountSecrets): string[] {
  const values =
    secrets.authKind === "oauth1"
      ? [secrets.credentials.appKey, secrets.credentials.appSecret, secrets.credentials.accessToken, secrets.credentials.accessSecret]
      : [secrets.credentials.accessToken, secrets.credentials.refreshToken ?? ""];
  return values.filter((value) => value.length >= 6);
}

/** The stored accounts, opened read-only with the accounts' key; or the line saying why they were not read. */
async function storedCandidates(config: Config, database: DatabaseProbe): Promise<Candidate[] | CheckLine> {
  const access = await database.open();
  if (access.kind === "absent") return [];
  if (access.kind === "in-use") return skip(STORED, "not read: the database is in use by a running bot");
  if (access.kind === "failed") return skip(STORED, "not read: the database cannot be opened");
  const migrations = await readMigrationStatus(access.handle.db);
  // A new database stores nothing yet; one behind this code may lack the columns the read needs.
  if (migrations.applied === 0) return [];
  if (migrations.pending > 0) return skip(STORED, `not read: ${migrations.pending} migrations pending (the next start applies them)`);
  const keyFile = config.database.url === undefined ? { dataDir: config.database.dataDir, mode: "read" as const } : undefined;
  let box;
  try {
    box = accountsSecretBox(config.sessions, keyFile)?.box;
  } catch (error) {
    return fail(STORED, reasonOf(error), "restore DATA_DIR/encryption.key from the backup of DATA_DIR, or set ENCRYPTION_KEY");
  }
  let accounts: StoredAccount[];
  try {
    accounts = (await loadStoredAccounts(access.handle.db, box, { readOnly: true })).accounts;
  } catch (error) {
    if (!(error instanceof EncryptionKeyError)) return fail(STORED, `cannot be read (${reasonOf(error)})`, "check the database (see the Database line)");
    return fail(STORED, reasonOf(error), "set ENCRYPTION_KEY (and ENCRYPTION_KEY_PREVIOUS during a rotation) to the keys they were stored with");
  }
  const env = new Set(config.x.accounts.map((account) => account.label));
  return accounts.filter((account) => !env.has(account.label)).map((account) => ({ ...account, origin: "stored" as const }));
}

/**
 * users/me for every account the bot would post from: the env ones (X_* and X_EXTRA_ACCOUNTS) and the ones stored
 * in the database, opened with the accounts' key as the bot opens them but read-only. One line per account, each
 * call under its own timeout; `secrets` receives the stored accounts' secrets so that they are masked too.
 */
export function xAccountsCheck(config: Config, database: DatabaseProbe, timeoutMs: number, secrets: string[]): DoctorCheck {
  async function verify(candidate: Candidate): Promise<CheckLine> {
    const expired = expiredLine(candidate, config);
    if (expired) return expired;
    const client = createXAccountClient({ apiRoot: config.x.apiRoot, credentials: clientCredentialsOf(candidate.secrets), requestTimeoutMs: timeoutMs });
    try {
      const me = await withDeadline(timeoutMs, (signal) => client.me(signal));
      return ok(lineName(candidate.label), `@${me.username} (${kindOf(candidate)})`);
    } catch (error) {
      return failureLine(candidate, error);
    }
  }

  return {
    name: NAME,
    // Opening the database, reading the accounts, then the users/me calls (all at once).
    timeLimitMs: database.openLimitMs + 2 * timeoutMs,
    onTimeout: "check X_API_ROOT, this machine's network, and the database",
    async run() {
      const env: Candidate[] = config.x.accounts.map(({ label, credentials }) => ({ label, origin: "env", secrets: { authKind: "oauth1", credentials } }));
      const stored = await storedCandidates(config, database);
      const candidates = [...env, ...(Array.isArray(stored) ? stored : [])];
      for (const candidate of candidates) secrets.push(...secretValues(candidate.secrets));
      const lines = await Promise.all(candidates.map(verify));
      if (!Array.isArray(stored)) lines.push(stored);
      if (lines.length === 0) return skip(NAME, "none configured (X_APP_KEY … X_ACCESS_SECRET, or /accounts add): discovery and publishing are idle");
      return lines;
    },
  };
}
