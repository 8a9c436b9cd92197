// GET /2/tweets/search/recent and its deliberately small query language (see index.ts).
import { invalidRequest, type FakeResponse } from "./responses.js";
import type { FakeXStore, StoredTweet } from "./store.js";
import { timeline } from "./timeline.js";

type SearchTerm =
  | { negate: boolean; kind: "text"; value: string }
  | { negate: boolean; kind: "from" | "to" | "conversation_id"; value: string }
  | { negate: boolean; kind: "is"; value: "reply" | "retweet" | "quote" }
  | { negate: boolean; kind: "ignored" };

function parseSearchQuery(query: string): SearchTerm[] | string {
  const terms: SearchTerm[] = [];
  for (const m of query.matchAll(/(-?)"([^"]*)"|(\S+)/g)) {
    if (m[2] !== undefined) {
      if (m[2].trim()) terms.push({ negate: m[1] === "-", kind: "text", value: m[2].toLowerCase() });
      continue;
    }
    const raw = m[3] ?? "";
    if (raw === "OR") return "The OR operator is not supported by the fake X search";
    if (raw.startsWith("(") || raw.endsWith(")")) return "Parentheses are not supported by the fake X search";
    const negate = raw.length > 1 && raw.startsWith("-");
    const body = negate ? raw.slice(1) : raw;
    const op = /^([a-z_]+):(.+)$/i.exec(body);
    const name = op?.[1]?.toLowerCase();
    const value = op?.[2] ?? "";
    if (name === "from" || name === "to" || name === "conversation_id") {
      terms.push({ negate, kind: name, value: name === "conversation_id" ? value : value.replace(/^@/, "").toLowerCase() });
    } else if (name === "is") {
      const v = value.toLowerCase();
      if (v !== "reply" && v !== "retweet" && v !== "quote") return `Unsupported operator is:${value}`;
      terms.push({ negate, kind: "is", value: v });
    } else if (name === "lang") {
      terms.push({ negate, kind: "ignored" });
    } else {
      terms.push({ negate, kind: "text", value: body.toLowerCase() });
    }
  }
  return terms;
}

function matchTerm(store: FakeXStore, t: StoredTweet, term: Exclude<SearchTerm, { kind: "ignored" }>): boolean {
  switch (term.kind) {
    case "text":
      return t.text.toLowerCase().includes(term.value);
    case "from":
      return store.users.get(t.authorId)?.username.toLowerCase() === term.value;
    case "to":
      return t.inReplyToUserId !== undefined && store.users.get(t.inReplyToUserId)?.username.toLowerCase() === term.value;
    case "conversation_id":
      return t.conversationId === term.value;
    case "is":
      if (term.value === "reply") return t.refs.some((r) => r.type === "replied_to");
      if (term.value === "retweet") return t.refs.some((r) => r.type === "retweeted");
      return t.refs.some((r) => r.type === "quoted");
  }
}

/** GET /2/tweets/search/recent. */
export function searchRecent(store: FakeXStore, query: Record<string, string>): FakeResponse {
  const q = query.query;
  if (q === undefined || !q.trim()) return invalidRequest("query", "", "The `query` query parameter can not be empty");
  const terms = parseSearchQuery(q);
  if (typeof terms === "string") return invalidRequest("query", q, terms);
  const list = store.liveTweets().filter((t) =>
    terms.every((term) => {
      if (term.kind === "ignored") return true;
      return matchTerm(store, t, term) !== term.negate;
    }),
  );
  return timeline(store, list, query, { min: 10, max: 100 });
}
