/** Things the workflow tells the outside world about (the app turns them into alerts). */
export type WorkflowNotice =
  | { readonly kind: "rate_limited"; readonly account: string; readonly until: Date }
  | { readonly kind: "session_expired"; readonly account: string }
  | { readonly kind: "session_recovered"; readonly account: string }
  | { readonly kind: "publication_failed"; readonly replyId: number; readonly reason: string; readonly retryable: boolean }
  | { readonly kind: "draft_failed"; readonly tweetId: string; readonly reason: string; readonly attempts: number }
  | { readonly kind: "card_failed"; readonly replyId: number; readonly reason: string };

/** Receives notices; must not throw nor block (it only records). */
export type NoticeSink = (notice: WorkflowNotice) => void;
