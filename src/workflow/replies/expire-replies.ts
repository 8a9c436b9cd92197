import { lt } from "drizzle-orm";
import type { Database } from "../../db/database.js";
import { replies } from "../../db/schema.js";
import { moveReplies } from "./transition.js";

/** awaiting_approval → expired for every draft whose time to live ended before `now`. Resolves with their ids. */
export async function expireReplies(db: Database, now: Date): Promise<number[]> {
  const expired = await moveReplies(db, "awaiting_approval", "expired", lt(replies.expiresAt, now));
  return expired.map(({ id }) => id);
}
