/**
 * Minimal types for the CommonJS `twitter-text` package (it ships none). Its `module.exports` is a plain object of
 * functions, which Node's ESM loader exposes as the default export (there are no detectable named exports), so
 * import it as `import twitterText from "twitter-text"`. Only what this project uses is declared.
 */
declare module "twitter-text" {
  /** Result of {@link TwitterText.parseTweet}. */
  interface ParsedTweet {
    /** Length as X counts it: URLs count 23, CJK and emoji count 2, most other characters 1. */
    weightedLength: number;
    /** True when the text is non-empty, within the limit and free of invalid characters. */
    valid: boolean;
    /** Weighted length in thousandths of the limit. */
    permillage: number;
    validRangeStart: number;
    validRangeEnd: number;
    displayRangeStart: number;
    displayRangeEnd: number;
  }

  /** The subset of the package's exports used here. */
  interface TwitterText {
    /** Parses a post's text with X's current (v3) weighting rules. */
    parseTweet(text: string): ParsedTweet;
    /** The URLs X would link in `text` (with or without a scheme, e.g. "example.com"), as written. */
    extractUrls(text: string): string[];
    /** The @usernames X would link in `text` (without the @, ASCII or fullwidth), as written. */
    extractMentions(text: string): string[];
  }

  const twitterText: TwitterText;
  export default twitterText;
}
