import { lte } from "drizzle-orm";
import type { Database } from "../../db/database.js";
import { replies } from "../../db/schema.js";
import type { Reply } from "../reply-states.js";
import { transitionReply } from "./transition.js";

/**
 * approved → approved, due at `at` instead: a reply that came due inside quiet hours moves to the
 * window's end. Only while it is still due at `now` (a concurrent change wins). Undefined otherwise.
 */
export function deferReply(db: Database, id: number, defer: { readonly at: Date; readonly now: Date }): Promise<Reply | undefined> {
  return transitionReply(db, id, "approved", "approved", { scheduledAt: defer.at }, lte(replies.scheduledAt, defer.now));
}
