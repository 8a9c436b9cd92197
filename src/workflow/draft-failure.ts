import { AiError, isProviderFailure } from "../ai/errors.js";
import type { SkipReason } from "./skip-reasons.js";

/**
 * How a draft attempt failed: an `outage` of the provider (the post waits, no attempt is counted, drafting stops
 * until the AI answers again), or a failure of this `post` (counted; the post is skipped with `skipReason` after
 * `DRAFT_MAX_ATTEMPTS` of them).
 */
export type DraftFailure =
  | { readonly kind: "outage"; readonly reason: string }
  | { readonly kind: "post"; readonly skipReason: SkipReason; readonly reason: string };

const ANSWER_REASONS = {
  empty: "draft_empty",
  refused: "draft_refused",
  content_filter: "draft_content_filter",
  unparseable: "draft_unusable",
  new_link: "draft_new_link",
  new_mention: "draft_new_mention",
} as const satisfies Record<NonNullable<AiError["answerProblem"]>, SkipReason>;

/** Classifies what a draft attempt threw (the drafter throws only AiErrors; anything else is a local error). */
export function classifyDraftFailure(error: unknown): DraftFailure {
  if (!(error instanceof AiError)) {
    return { kind: "post", skipReason: "draft_error", reason: error instanceof Error ? error.message : String(error) };
  }
  if (isProviderFailure(error)) return { kind: "outage", reason: error.message };
  if (error.answerProblem !== undefined) return { kind: "post", skipReason: ANSWER_REASONS[error.answerProblem], reason: error.message };
  if (error.kind === "bad_response") return { kind: "post", skipReason: "draft_unusable", reason: error.message };
  return { kind: "post", skipReason: error.status === undefined ? "draft_error" : "draft_rejected", reason: error.message };
}
