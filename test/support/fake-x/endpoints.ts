// Which endpoint module answers a user's call.
import { appendMedia, finalizeMedia, initializeMedia, mediaStatus } from "./media-endpoints.js";
import { mentionsOf } from "./mentions.js";
import type { FakeResponse } from "./responses.js";
import { searchRecent } from "./search.js";
import type { FakeXStore, StoredUser } from "./store.js";
import { deleteTweet, postTweet, tweetById, tweetsByIds } from "./tweets.js";
import type { FakeXUserEndpointKey } from "./types.js";
import { me, userById, userByUsername, userTweets } from "./users.js";

/** One authenticated call as the endpoint modules see it. */
export interface UserCall {
  key: FakeXUserEndpointKey;
  /** The decoded path parameter ("" when the route has none). */
  param: string;
  query: Record<string, string>;
  body: unknown;
  caller: StoredUser;
}

/** Performs the call's side effects and returns the answer. */
export function dispatch(store: FakeXStore, call: UserCall, summonedRuleEnforced: boolean): FakeResponse {
  const { param, query, body, caller } = call;
  switch (call.key) {
    case "GET /2/users/me":
      return me(caller);
    case "GET /2/users/by/username/:username":
      return userByUsername(store, param);
    case "GET /2/users/:id":
      return userById(store, param);
    case "GET /2/users/:id/mentions":
      return mentionsOf(store, param, query);
    case "GET /2/users/:id/tweets":
      return userTweets(store, param, query);
    case "GET /2/tweets/search/recent":
      return searchRecent(store, query);
    case "GET /2/tweets/:id":
      return tweetById(store, param, query);
    case "GET /2/tweets":
      return tweetsByIds(store, query);
    case "POST /2/tweets":
      return postTweet(store, body, caller, summonedRuleEnforced);
    case "DELETE /2/tweets/:id":
      return deleteTweet(store, param, caller);
    case "POST /2/media/upload/initialize":
      return initializeMedia(store.media, body, caller);
    case "POST /2/media/upload/:id/append":
      return appendMedia(store.media, param, body, caller);
    case "POST /2/media/upload/:id/finalize":
      return finalizeMedia(store.media, param, caller);
    case "GET /2/media/upload":
      return mediaStatus(store.media, query, caller);
  }
}
