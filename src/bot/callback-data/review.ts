import { createCallbackData } from "./codec.js";

/** A card button, drawn for the reply's `version` so a press on an outdated card is refused. */
const REVIEW_FIELDS = { replyId: "number", version: "number" } as const;

/** The card buttons: `v1:a|r|e|g|y:<replyId>:<version>` (approve, reject, edit, regenerate, post from another account anyway). */
export const reviewCallbacks = {
  approve: createCallbackData("a", REVIEW_FIELDS),
  reject: createCallbackData("r", REVIEW_FIELDS),
  edit: createCallbackData("e", REVIEW_FIELDS),
  regenerate: createCallbackData("g", REVIEW_FIELDS),
  /** On an approved reply held by an unconfirmed attempt of an account that is down. */
  postAnyway: createCallbackData("y", REVIEW_FIELDS),
} as const;

/** The review actions a card offers. */
export type ReviewAction = keyof typeof reviewCallbacks;

/** Matches a press on any card button. */
export const anyReviewFilter: readonly RegExp[] = Object.values(reviewCallbacks).map((data) => data.filter);

/** The reply and version of a press on any card button; undefined for other data. */
export function unpackReviewPress(data: string): { readonly replyId: number; readonly version: number } | undefined {
  const kind = Object.values(reviewCallbacks).find((candidate) => candidate.filter.test(data));
  return kind?.unpack(data);
}
