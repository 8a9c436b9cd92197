import { describe, expect, it } from "vitest";
import { FEATURES } from "../../src/bot/index.js";

describe("the bot's feature list", () => {
  it("mounts every feature in one order: core first, the edit conversation before other buttons, the catch-all last", () => {
    expect(FEATURES.map((create) => create.name)).toEqual([
      "createHelpFeature",
      "createHealthFeature",
      "createBreakerFeature",
      "createReviewFeature",
      "createQueueFeature",
      "createBulkFeature",
      "createDlqFeature",
      "createStatsFeature",
      "createTraceFeature",
      "createWatchlistFeature",
      "createPauseFeature",
      "createSettingsFeature",
      "createAlertsFeature",
      "createAccountsFeature",
      "createUnhandledFeature",
    ]);
  });
});
