import { and, eq, gt } from "drizzle-orm";
import type { Database } from "../../db/database.js";
import { replies } from "../../db/schema.js";
import type { Reply } from "../reply-states.js";
import { draftFlagsForReply } from "./draft-flags.js";
import { transitionReply } from "./transition.js";

/** A new draft: the admin's text (edit) or the model's (regenerate). */
export interface Redraft {
  readonly draft: string;
  readonly weightedLength: number;
  readonly tooLong: boolean;
  /** The model that wrote it (absent for an admin's edit, which keeps the column as it was). */
  readonly model?: string;
}

/**
 * awaiting_approval → awaiting_approval with a new draft, while it has not expired at `now`; with
 * `version`, only if the draft is still the one the admin saw. Undefined otherwise. The flags are worked out
 * again for the new text.
 */
export async function redraftReply(
  db: Database,
  id: number,
  redraft: Redraft,
  guard: { readonly now: Date; readonly version?: number },
): Promise<Reply | undefined> {
  const notExpired = gt(replies.expiresAt, guard.now);
  const flags = await draftFlagsForReply(db, id, redraft.draft);
  return transitionReply(
    db,
    id,
    "awaiting_approval",
    "awaiting_approval",
    { ...redraft, flags },
    guard.version === undefined ? notExpired : and(eq(replies.version, guard.version), notExpired),
  );
}
