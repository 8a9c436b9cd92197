import { gt } from "drizzle-orm";
import type { Database } from "../../db/database.js";
import { replies } from "../../db/schema.js";
import type { ReplyMedia } from "../media/types.js";
import type { Reply } from "../reply-states.js";
import { transitionReply } from "./transition.js";

/**
 * awaiting_approval → awaiting_approval with `media` attached (or none, with undefined), while the draft has not
 * expired at `now`. Any earlier upload to X is forgotten: it was of another file. Undefined when the reply is not
 * awaiting approval or has expired.
 */
export function setReplyMedia(db: Database, id: number, media: ReplyMedia | undefined, now: Date): Promise<Reply | undefined> {
  return transitionReply(
    db,
    id,
    "awaiting_approval",
    "awaiting_approval",
    {
      mediaFileId: media?.fileId ?? null,
      mediaKind: media?.kind ?? null,
      mediaMimeType: media?.mimeType ?? null,
      mediaBytes: media?.bytes ?? null,
      mediaDurationSeconds: media?.durationSeconds ?? null,
      mediaXId: null,
      mediaXAccountId: null,
      mediaXExpiresAt: null,
    },
    gt(replies.expiresAt, now),
  );
}
