/** Public types of the AI drafter (re-exported by drafter.ts). */

/** A post to reply to, as the drafter sees it. */
export interface PostForDraft {
  /** The post's full text. */
  text: string;
  /** The author's @handle without "@", when known. */
  authorUsername: string | undefined;
  /** How the post was found: it mentioned us, it is from a watched account, or it matched a search. */
  source: "mention" | "target" | "search";
}

/** A finished draft. */
export interface DraftOutcome {
  /** The cleaned reply text (never truncated). */
  text: string;
  /** X-weighted length of `text`. */
  weightedLength: number;
  /** True when `text` is still over 280 after all shorten attempts: a human must edit it before posting. */
  tooLong: boolean;
  /** The model that wrote `text`. */
  model: string;
  /** How many shorten requests were answered (0 when the first draft fit). */
  shortenAttempts: number;
}

/** The relevance gate's verdict on a post. */
export interface GateDecision {
  /** 0 (do not reply) .. 1 (reply), clamped. */
  score: number;
  /** The model's short justification. */
  reason: string;
  /** The model that judged. */
  model: string;
}

/** Writes reply drafts and judges posts. Every method rejects only with an `AiError` (see errors.ts). */
export interface Drafter {
  /** Drafts a reply to `post` in the voice of `persona`, shortening it up to the configured number of times. */
  draft(post: PostForDraft, persona: string, signal?: AbortSignal): Promise<DraftOutcome>;
  /** Scores how worthwhile replying to `post` is, given the account's `topics`. */
  gate(post: PostForDraft, topics: readonly string[], signal?: AbortSignal): Promise<GateDecision>;
}
