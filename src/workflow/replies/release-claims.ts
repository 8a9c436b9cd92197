import { lte } from "drizzle-orm";
import type { Database } from "../../db/database.js";
import { replies } from "../../db/schema.js";
import { moveReplies } from "./transition.js";

/**
 * publishing → approved for claims whose holder is gone: those whose lease ended by `now`, or
 * (`all`, at boot with an exclusive database) every claim. Each is flagged to be reconciled with X
 * first, since its POST may have gone out. Resolves with their ids.
 */
export async function releaseClaims(db: Database, release: { readonly all: boolean; readonly now: Date }): Promise<number[]> {
  const released = await moveReplies(
    db,
    "publishing",
    "approved",
    release.all ? undefined : lte(replies.leaseUntil, release.now),
    { needsReconcile: true, leaseUntil: null },
  );
  return released.map(({ id }) => id);
}
