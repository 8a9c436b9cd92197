import type { XAccountClient } from "../x/types.js";
import type { ResiliencePolicy } from "./policy.js";

/** The caller's signal and the policy's per-attempt signal, whichever aborts first. */
function both(caller: AbortSignal | undefined, policy: AbortSignal): AbortSignal {
  return caller ? AbortSignal.any([caller, policy]) : policy;
}

/**
 * An X client whose every call runs under the account's policy: reads are retried on transient
 * failures; the POST is retried only when it certainly did not reach X (a maybe-sent reply is
 * reconciled by the publisher, never blindly resent). While the breaker is open calls fail at once
 * with BrokenCircuitError and nothing reaches X.
 */
export function resilientXClient(client: XAccountClient, policy: ResiliencePolicy): XAccountClient {
  return {
    me: (signal) => policy.execute((s) => client.me(both(signal, s))),
    userByUsername: (username, signal) => policy.execute((s) => client.userByUsername(username, both(signal, s))),
    mentions: (userId, opts, signal) => policy.execute((s) => client.mentions(userId, opts, both(signal, s))),
    userPosts: (userId, opts, signal) => policy.execute((s) => client.userPosts(userId, opts, both(signal, s))),
    searchRecent: (query, opts, signal) => policy.execute((s) => client.searchRecent(query, opts, both(signal, s))),
    lookupPosts: (ids, signal) => policy.execute((s) => client.lookupPosts(ids, both(signal, s))),
    getPost: (id, signal) => policy.execute((s) => client.getPost(id, both(signal, s))),
    postReply: (text, inReplyTo, signal, mediaIds) =>
      policy.execute((s) => client.postReply(text, inReplyTo, both(signal, s), mediaIds), { idempotent: false }),
    // Each step of an upload under the policy (its own timeout and retries): a whole video would outlast one timeout.
    // A retried step at worst uploads a chunk twice, which X's APPEND by segment index allows.
    uploadMedia: (file, options = {}) =>
      client.uploadMedia(file, {
        ...options,
        runStep: (step) => policy.execute((s) => step(both(options.signal, s))),
      }),
    rateLimits: () => client.rateLimits(),
  };
}
