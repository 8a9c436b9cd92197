/** Things the workflow tells the outside world about (the app turns them into alerts). */
export type WorkflowNotice =
  | { readonly kind: "rate_limited"; readonly account: string; readonly until: Date }
  /** The account left the pool (X refused it: 401/403, or its breaker stayed open too long); once per failure. */
  | { readonly kind: "session_failed"; readonly account: string; readonly reason: string }
  /** A failed account answers again and is back in the pool; once per recovery. */
  | { readonly kind: "session_recovered"; readonly account: string }
  /** The boot verification of the accounts is over: which were restored, which failed and why, how long it took. */
  | {
      readonly kind: "sessions_verified";
      readonly restored: readonly string[];
      readonly failed: readonly { readonly account: string; readonly reason: string }[];
      readonly tookMs: number;
    }
  | { readonly kind: "publication_failed"; readonly replyId: number; readonly reason: string; readonly retryable: boolean }
  | {
      readonly kind: "draft_failed";
      readonly tweetId: string;
      readonly reason: string;
      readonly attempts: number;
      /** The skip reason the post was given up with. */
      readonly skipReason?: string;
    }
  /** Drafting stopped on an AI outage; `waiting` posts wait for it to end. */
  | { readonly kind: "ai_outage"; readonly waiting: number; readonly reason: string }
  /** The AI drafts again after an outage that began at `since`; `drafted` drafts were made in the pass that found it back. */
  | { readonly kind: "ai_recovered"; readonly since: Date; readonly drafted: number; readonly waiting: number }
  | { readonly kind: "card_failed"; readonly replyId: number; readonly reason: string };

/** Receives notices; must not throw nor block (it only records). */
export type NoticeSink = (notice: WorkflowNotice) => void;
