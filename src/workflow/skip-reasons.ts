/**
 * Why a post is `skipped`: one closed vocabulary, so /stats and the metric labels stay bounded whatever the
 * database holds. Discovery decides the first four, drafting the rest.
 */
export const SKIP_REASONS = [
  "retweet",
  "opted_out",
  "not_summoned",
  "off_topic",
  "gatekeeper",
  "author_cap",
  "day_cap",
  "draft_empty",
  "draft_refused",
  "draft_content_filter",
  "draft_too_long",
  "draft_unusable",
  "draft_new_link",
  "draft_new_mention",
  "draft_rejected",
  "draft_error",
] as const;

/** One reason a post was skipped. */
export type SkipReason = (typeof SKIP_REASONS)[number];

/** The reasons decided without any AI call: the post was never sent to the model. */
const NO_AI_SKIP_REASONS: readonly SkipReason[] = ["retweet", "opted_out", "not_summoned", "off_topic", "author_cap", "day_cap"];

/** The reasons that mean the AI worked on the post (and so count towards the spend caps): every other one. */
export const AI_SPENT_SKIP_REASONS: readonly SkipReason[] = SKIP_REASONS.filter((reason) => !NO_AI_SKIP_REASONS.includes(reason));

/** The reason as a bounded label: a stored value outside {@link SKIP_REASONS} (an older build's) is "other". */
export function skipReasonLabel(value: string | null): SkipReason | "other" {
  return SKIP_REASONS.find((reason) => reason === value) ?? "other";
}
