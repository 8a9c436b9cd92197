import twitterText from "twitter-text";

/** The most weighted characters X accepts in one post (URLs count 23, CJK and emoji 2). */
export const X_MAX_WEIGHTED_LENGTH = 280;

/** Length of `text` as X counts it (`twitter-text`'s `parseTweet().weightedLength`). */
export function weightedLength(text: string): number {
  return twitterText.parseTweet(text).weightedLength;
}
