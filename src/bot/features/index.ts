import type { DatabaseHandle } from "../../db/database.js";
import type { Workflow } from "../../workflow/services.js";
import { createDlqFeature } from "./dlq.js";
import { createPauseFeature } from "./pause.js";
import { createQueueFeature } from "./queue.js";
import { createReviewFeature } from "./review.js";
import { createSettingsFeature } from "./settings.js";
import { createStatsFeature } from "./stats.js";
import { createWatchlistFeature } from "./watchlist.js";

/** The product features in mounting order (conversations before the buttons that enter them). */
export function workflowFeatures(database: DatabaseHandle, workflow: Workflow) {
  const db = database.db;
  return [
    createReviewFeature({ db, review: workflow.review }),
    createQueueFeature(db),
    createDlqFeature({ deadLetters: workflow.deadLetters }),
    createStatsFeature({ db }),
    createWatchlistFeature({ watchlist: workflow.watchlist }),
    createPauseFeature({ pauseSwitch: workflow.pause }),
    createSettingsFeature(workflow.settings),
  ];
}
