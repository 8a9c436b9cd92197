// GET /2/users/:id/mentions: others' posts that @-mention the user or reply to one of theirs.
import { notFoundAnswer, type FakeResponse } from "./responses.js";
import { mentions, type FakeXStore } from "./store.js";
import { timeline } from "./timeline.js";

/** GET /2/users/:id/mentions. */
export function mentionsOf(store: FakeXStore, id: string, query: Record<string, string>): FakeResponse {
  const u = store.users.get(id);
  if (!u) return notFoundAnswer("user", "id", id);
  const list = store.liveTweets().filter((t) => t.authorId !== u.id && (mentions(t, u) || t.inReplyToUserId === u.id));
  return timeline(store, list, query, { min: 5, max: 100 });
}
