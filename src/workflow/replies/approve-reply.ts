import { and, eq, gt } from "drizzle-orm";
import type { Database } from "../../db/database.js";
import { replies } from "../../db/schema.js";
import type { Reply } from "../reply-states.js";
import { transitionReply } from "./transition.js";

/** An admin's approval of the draft version they saw on the card. */
export interface Approval {
  readonly id: number;
  readonly version: number;
  readonly by: number;
  readonly decidedAt: Date;
  readonly scheduledAt: Date;
}

/**
 * awaiting_approval → approved, only for the draft version the admin saw, only if it fits on X
 * and has not expired. Undefined when any of that did not hold.
 */
export function approveReply(db: Database, approval: Approval): Promise<Reply | undefined> {
  return transitionReply(
    db,
    approval.id,
    "awaiting_approval",
    "approved",
    { decidedBy: approval.by, decidedAt: approval.decidedAt, scheduledAt: approval.scheduledAt },
    and(eq(replies.version, approval.version), eq(replies.tooLong, false), gt(replies.expiresAt, approval.decidedAt)),
  );
}
