import { loadConfig, type RuntimeSettingsDefaults } from "../../src/config.js";
import type { Database } from "../../src/db/database.js";
import { MINIMAL_ENV } from "./config-env.js";
import {
  appState,
  approvalBatches,
  deadLetters,
  discoveryCursors,
  optOuts,
  posts,
  publishAttempts,
  replies,
  settings,
  settingsAudit,
  watchItems,
  workflowEvents,
  xAccounts,
} from "../../src/db/schema.js";

/** Runtime settings for workflow tests: no delays, no quiet hours, limits out of the way. */
export const WORKFLOW_TEST_DEFAULTS: RuntimeSettingsDefaults = {
  persona: "You are a friendly person replying on X.",
  minDelayMinutes: 0,
  maxDelayMinutes: 0,
  jitterSeconds: 0,
  quietHours: "",
  gapSeconds: { min: 0, max: 0 },
  maxPostsPerHour: 100,
  maxPostsPerDay: 1000,
  gatekeeperEnabled: false,
  gatekeeperMinScore: 0.5,
};

/** Runtime settings as the environment's defaults set them (delays, quiet hours, limits): for the settings' own tests. */
export const SETTINGS_TEST_DEFAULTS: RuntimeSettingsDefaults = {
  ...loadConfig(MINIMAL_ENV).defaults,
  persona: "You are a friendly person replying on X.",
};

/** Empties every table the reply workflow writes, children before parents, so one database serves a whole file. */
export async function clearWorkflowTables(db: Database): Promise<void> {
  for (const table of [
    approvalBatches,
    deadLetters,
    publishAttempts,
    workflowEvents,
    replies,
    posts,
    discoveryCursors,
    watchItems,
    optOuts,
    xAccounts,
    appState,
    settingsAudit,
    settings,
  ]) {
    await db.delete(table);
  }
}

/**
 * A mention by alice (X id 900002) of `accountId`, discovered and waiting for a draft: the row to insert.
 * `extra` changes any column (another author, source, attempts so far).
 */
export function pendingPost(tweetId: string, accountId: number, text: string, extra: Partial<typeof posts.$inferInsert> = {}): typeof posts.$inferInsert {
  return {
    tweetId,
    authorId: "900002",
    authorUsername: "alice",
    text,
    source: "mention",
    sourceDetail: "@replyguy",
    accountId,
    boundAccountId: accountId,
    answerable: true,
    state: "pending_draft",
    ...extra,
  };
}
