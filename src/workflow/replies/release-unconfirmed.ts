import { and, eq, isNull } from "drizzle-orm";
import type { Database } from "../../db/database.js";
import { replies } from "../../db/schema.js";
import type { Reply } from "../reply-states.js";
import { transitionReply } from "./transition.js";

/**
 * approved → approved, free again and due `now`: a free reply pinned to its last account by an unconfirmed
 * attempt (`needs_reconcile`), which that account cannot check while it is out of the pool. The admin chose to
 * let another account post it without the check, knowing the first attempt may have posted. Guarded by the card's
 * `version`; a bound reply never moves (only its account may answer the post). Undefined when nothing moved.
 */
export function releaseUnconfirmedReply(
  db: Database,
  release: { readonly id: number; readonly version: number; readonly now: Date },
): Promise<Reply | undefined> {
  return transitionReply(
    db,
    release.id,
    "approved",
    "approved",
    { needsReconcile: false, accountId: null, scheduledAt: release.now },
    and(eq(replies.version, release.version), eq(replies.needsReconcile, true), isNull(replies.boundAccountId)),
  );
}
