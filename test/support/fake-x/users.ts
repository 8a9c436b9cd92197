// GET /2/users/me, /2/users/by/username/:username, /2/users/:id and a user's own timeline /2/users/:id/tweets.
import { invalidRequest, notFoundAnswer, type FakeResponse } from "./responses.js";
import { publicUser, type FakeXStore, type StoredUser } from "./store.js";
import { timeline } from "./timeline.js";

/** GET /2/users/me. */
export function me(caller: StoredUser): FakeResponse {
  return { status: 200, body: { data: publicUser(caller) } };
}

/** GET /2/users/by/username/:username. */
export function userByUsername(store: FakeXStore, username: string): FakeResponse {
  const u = store.findUserByUsername(username);
  return u ? { status: 200, body: { data: publicUser(u) } } : notFoundAnswer("user", "username", username);
}

/** GET /2/users/:id. */
export function userById(store: FakeXStore, id: string): FakeResponse {
  const u = store.users.get(id);
  return u ? { status: 200, body: { data: publicUser(u) } } : notFoundAnswer("user", "id", id);
}

/** GET /2/users/:id/tweets (honours `exclude=replies,retweets`). */
export function userTweets(store: FakeXStore, id: string, query: Record<string, string>): FakeResponse {
  const u = store.users.get(id);
  if (!u) return notFoundAnswer("user", "id", id);
  const exclude = new Set((query.exclude ?? "").split(",").map((s) => s.trim()).filter(Boolean));
  for (const e of exclude) {
    if (e !== "replies" && e !== "retweets") {
      return invalidRequest("exclude", e, `The \`exclude\` query parameter value [${e}] is not one of [replies,retweets]`);
    }
  }
  const list = store.liveTweets().filter(
    (t) =>
      t.authorId === u.id &&
      !(exclude.has("replies") && t.refs.some((r) => r.type === "replied_to")) &&
      !(exclude.has("retweets") && t.refs.some((r) => r.type === "retweeted")),
  );
  return timeline(store, list, query, { min: 5, max: 100 });
}
