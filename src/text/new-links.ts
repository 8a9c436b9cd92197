/**
 * Finds the links and @mentions of a reply that its post did not contain, found the way X finds them (twitter-text:
 * "example.com" is a link even without a scheme, "＠name" is a mention). A model that was steered by the post, or
 * that invents, could otherwise make the account link to or ping anyone.
 */
import twitterText from "twitter-text";

/** What a reply brings that its post did not have. */
export interface NewLinksAndMentions {
  /** Links as written in the reply, in order, without repeats. */
  readonly links: readonly string[];
  /** Usernames (without @) as written in the reply, in order, without repeats. */
  readonly mentions: readonly string[];
}

/** The post a reply answers: its text and its author's username (a reply may name the person it answers). */
export interface SourcePost {
  readonly text: string;
  readonly authorUsername?: string | null;
}

/** A link compared without its scheme, "www.", trailing slash or the case of its host (the path keeps its case). */
function linkKey(link: string): string {
  const match = /^(?:[a-z][a-z0-9+.-]*:\/\/)?([^/?#]*)(.*)$/is.exec(link);
  const host = (match?.[1] ?? link).toLowerCase().replace(/^www\./, "");
  return `${host}${(match?.[2] ?? "").replace(/\/+$/, "")}`;
}

function unique(values: readonly string[], key: (value: string) => string): string[] {
  const seen = new Set<string>();
  return values.filter((value) => {
    const k = key(value);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** The links and mentions in `reply` that are not in `post` (the post's author counts as mentioned). */
export function newLinksAndMentions(reply: string, post: SourcePost): NewLinksAndMentions {
  const postLinks = new Set(twitterText.extractUrls(post.text).map(linkKey));
  const mentionKey = (name: string): string => name.toLowerCase();
  const postMentions = new Set(twitterText.extractMentions(post.text).map(mentionKey));
  if (post.authorUsername) postMentions.add(mentionKey(post.authorUsername));
  return {
    links: unique(twitterText.extractUrls(reply), linkKey).filter((link) => !postLinks.has(linkKey(link))),
    mentions: unique(twitterText.extractMentions(reply), mentionKey).filter((name) => !postMentions.has(mentionKey(name))),
  };
}
