import type { XAccountClient } from "../x/types.js";

/**
 * The account's client, counting each call X answered successfully with `onSuccess`: the health monitor skips
 * its `users/me` check for an account that has just proven itself working (a post, a read).
 */
export function countingSuccesses(client: XAccountClient, onSuccess: () => void): XAccountClient {
  const seen = async <T>(call: Promise<T>): Promise<T> => {
    const result = await call;
    onSuccess();
    return result;
  };
  return {
    me: (signal) => seen(client.me(signal)),
    userByUsername: (username, signal) => seen(client.userByUsername(username, signal)),
    mentions: (userId, opts, signal) => seen(client.mentions(userId, opts, signal)),
    userPosts: (userId, opts, signal) => seen(client.userPosts(userId, opts, signal)),
    searchRecent: (query, opts, signal) => seen(client.searchRecent(query, opts, signal)),
    lookupPosts: (ids, signal) => seen(client.lookupPosts(ids, signal)),
    getPost: (id, signal) => seen(client.getPost(id, signal)),
    postReply: (text, inReplyToPostId, signal, mediaIds) => seen(client.postReply(text, inReplyToPostId, signal, mediaIds)),
    uploadMedia: (file, options) => seen(client.uploadMedia(file, options)),
    rateLimits: () => client.rateLimits(),
  };
}
