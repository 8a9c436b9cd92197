import type { CardView } from "../../src/workflow/card-sync.js";
import type { Post } from "../../src/workflow/drafting.js";
import type { Reply } from "../../src/workflow/reply-states.js";

/** A card view of reply #7 to @alice's post, without a database: only the fields a card shows. */
export function cardView(draft: string, postText = "What do you think?", extra: Partial<Reply> = {}): CardView {
  const reply = {
    id: 7,
    status: "awaiting_approval",
    draft,
    weightedLength: 23,
    tooLong: false,
    flags: [],
    version: 1,
    attemptCount: 0,
    failureReason: null,
    scheduledAt: null,
    replyTweetId: null,
    mediaFileId: null,
    mediaKind: null,
    mediaMimeType: null,
    mediaBytes: null,
    mediaDurationSeconds: null,
    ...extra,
  } as Reply;
  const post = {
    tweetId: "123",
    authorId: "2",
    authorUsername: "alice",
    text: postText,
    source: "mention",
    sourceDetail: "@replyguy",
  } as Post;
  return { reply, post, timeZone: "UTC", paused: false, accountUsername: "replyguy", now: new Date("2026-03-01T12:00:00Z") };
}
