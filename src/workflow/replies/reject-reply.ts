import { eq } from "drizzle-orm";
import type { Database } from "../../db/database.js";
import { replies } from "../../db/schema.js";
import type { Reply } from "../reply-states.js";
import { transitionReply } from "./transition.js";

/** awaiting_approval → rejected, only for the draft version the admin saw. Undefined otherwise. */
export function rejectReply(
  db: Database,
  rejection: { readonly id: number; readonly version: number; readonly by: number; readonly decidedAt: Date },
): Promise<Reply | undefined> {
  return transitionReply(
    db,
    rejection.id,
    "awaiting_approval",
    "rejected",
    { decidedBy: rejection.by, decidedAt: rejection.decidedAt },
    eq(replies.version, rejection.version),
  );
}
