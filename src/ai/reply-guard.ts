/**
 * The check every model draft passes after cleaning: a link or @mention the post did not contain is refused unless
 * the operator allows it (REPLY_ALLOW_LINKS / REPLY_ALLOW_MENTIONS; an allowed one is flagged on the card instead).
 */
import { clip } from "../text/clip.js";
import { newLinksAndMentions } from "../text/new-links.js";
import { AiError } from "./errors.js";
import type { PostForDraft } from "./types.js";

/** What a draft may add to its post. */
export interface ReplyGuardPolicy {
  /** Links the post did not contain are allowed (default false: the draft is refused). */
  readonly allowNewLinks: boolean;
  /** @mentions of people the post did not mention are allowed (default false: the draft is refused). */
  readonly allowNewMentions: boolean;
}

/** Nothing new allowed: the default. */
export const STRICT_REPLY_GUARD: ReplyGuardPolicy = { allowNewLinks: false, allowNewMentions: false };

/** `AiError.code` of a draft refused for a link the post did not contain. */
export const NEW_LINK_REFUSED = "reply_new_link";
/** `AiError.code` of a draft refused for an @mention the post did not contain. */
export const NEW_MENTION_REFUSED = "reply_new_mention";

/** The offending items for a log line or an alert: a model may write many, and long ones. */
const shown = (items: readonly string[]): string => clip(items.join(", "), 160);

/**
 * Throws a `bad_response` {@link AiError} (code {@link NEW_LINK_REFUSED} or {@link NEW_MENTION_REFUSED}) when `text`
 * links to or mentions something `post` did not and `policy` does not allow it. Another request would be steered
 * by the same post, so drafting treats it like any other unusable answer.
 */
export function guardReply(text: string, post: PostForDraft, policy: ReplyGuardPolicy, model: string): void {
  const found = newLinksAndMentions(text, post);
  if (found.links.length > 0 && !policy.allowNewLinks) {
    throw new AiError(
      "bad_response",
      `model ${model} wrote a link the post did not contain (${shown(found.links)}); refused (REPLY_ALLOW_LINKS=false)`,
      { model, code: NEW_LINK_REFUSED, answerProblem: "new_link" },
    );
  }
  if (found.mentions.length > 0 && !policy.allowNewMentions) {
    throw new AiError(
      "bad_response",
      `model ${model} mentioned someone the post did not (${shown(found.mentions.map((name) => `@${name}`))}); refused (REPLY_ALLOW_MENTIONS=false)`,
      { model, code: NEW_MENTION_REFUSED, answerProblem: "new_mention" },
    );
  }
}
