// Newest-first paging shared by the timelines (mentions, user tweets) and search.
import { invalidRequest, type FakeResponse } from "./responses.js";
import { compareIds, type FakeXStore, type StoredTweet } from "./store.js";

function isNumericId(value: string): boolean {
  return /^\d{1,19}$/.test(value);
}

function encodePageToken(oldestId: string): string {
  return Buffer.from(`fakex:${oldestId}`).toString("base64url");
}

function decodePageToken(token: string): string | null {
  const raw = Buffer.from(token, "base64url").toString("utf8");
  const m = /^fakex:(\d+)$/.exec(raw);
  return m?.[1] ?? null;
}

/** Newest-first page of `list` honouring since_id, until_id, max_results and pagination_token/next_token. */
export function timeline(
  store: FakeXStore,
  list: StoredTweet[],
  query: Record<string, string>,
  bounds: { min: number; max: number },
): FakeResponse {
  let maxResults = 10;
  if (query.max_results !== undefined) {
    const n = Number(query.max_results);
    if (!Number.isInteger(n) || n < bounds.min || n > bounds.max) {
      return invalidRequest(
        "max_results",
        query.max_results,
        `The \`max_results\` query parameter value [${query.max_results}] is not between ${bounds.min} and ${bounds.max}`,
      );
    }
    maxResults = n;
  }
  for (const p of ["since_id", "until_id"] as const) {
    const v = query[p];
    if (v !== undefined && !isNumericId(v)) {
      return invalidRequest(p, v, `The \`${p}\` query parameter value [${v}] is not valid`);
    }
  }
  const tokenParam = query.pagination_token !== undefined ? "pagination_token" : "next_token";
  const token = query[tokenParam];
  let before: string | null = null;
  if (token !== undefined) {
    before = decodePageToken(token);
    if (before === null) return invalidRequest(tokenParam, token, `The \`${tokenParam}\` query parameter value [${token}] is not valid`);
  }
  const sinceId = query.since_id;
  const untilId = query.until_id;
  const sorted = list
    .filter(
      (t) =>
        (sinceId === undefined || compareIds(t.id, sinceId) > 0) &&
        (untilId === undefined || compareIds(t.id, untilId) < 0) &&
        (before === null || compareIds(t.id, before) < 0),
    )
    .sort((a, b) => compareIds(b.id, a.id));
  const page = sorted.slice(0, maxResults);
  const first = page[0];
  const last = page[page.length - 1];
  const meta: Record<string, unknown> = { result_count: page.length };
  if (first && last) {
    meta.newest_id = first.id;
    meta.oldest_id = last.id;
    if (sorted.length > page.length) meta.next_token = encodePageToken(last.id);
  }
  const out: Record<string, unknown> = {};
  if (page.length) out.data = page.map((t) => store.serialize(t));
  out.meta = meta;
  return { status: 200, body: store.withIncludes(out, page, query) };
}
