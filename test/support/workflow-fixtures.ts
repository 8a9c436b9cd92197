import type { RuntimeSettingsDefaults } from "../../src/config.js";
import type { Database } from "../../src/db/database.js";
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
  persona: "You are a friendly person replying on X.",
  minDelayMinutes: 15,
  maxDelayMinutes: 120,
  jitterSeconds: 300,
  quietHours: "00:00-07:00",
  gapSeconds: { min: 30, max: 90 },
  maxPostsPerHour: 15,
  maxPostsPerDay: 50,
  gatekeeperEnabled: false,
  gatekeeperMinScore: 0.5,
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
