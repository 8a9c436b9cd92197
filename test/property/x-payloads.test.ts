/**
 * Property: whatever X answers — any JSON, any status, junk rate-limit headers, a body that is not JSON — the parsers
 * and the client return shape-checked values or fail with a classified error, never an unhandled one.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { XApiError, XUnexpectedResponseError } from "../../src/x/errors.js";
import { parseCreatedPost, parsePost, parsePostList, parseTimelinePage, parseUserResponse } from "../../src/x/parse.js";
import { createXAccountClient } from "../../src/x/twitter-client.js";
import type { XPost } from "../../src/x/types.js";

const X_ID = /^\d{1,19}$/;

/** Values that are almost right: ids of every shape, texts, dates, nested junk. */
const almost = fc.oneof(
  fc.constantFrom("123", "0", "-1", "1".repeat(20), "12a", "", " 1", "١٢٣", "9223372036854775807", "2026-11-30T12:00:00Z", "not a date"),
  fc.string({ maxLength: 20 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
);
const almostPost = fc.record(
  {
    id: almost,
    text: fc.oneof(fc.string({ maxLength: 40 }), almost),
    author_id: almost,
    created_at: almost,
    conversation_id: almost,
    in_reply_to_user_id: almost,
    note_tweet: fc.oneof(almost, fc.record({ text: almost })),
    referenced_tweets: fc.oneof(almost, fc.array(fc.record({ type: fc.oneof(fc.constantFrom("replied_to", "quoted", "retweeted"), almost), id: almost }), { maxLength: 3 })),
    entities: fc.oneof(almost, fc.record({ mentions: fc.oneof(almost, fc.array(fc.record({ id: almost, username: almost }), { maxLength: 3 })) })),
  },
  { requiredKeys: [] },
);
const almostUser = fc.record({ id: almost, username: almost, name: almost }, { requiredKeys: [] });
const body = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.record(
    {
      data: fc.oneof(almostPost, almostUser, fc.array(fc.oneof(almostPost, almost), { maxLength: 4 }), almost),
      includes: fc.oneof(almost, fc.record({ users: fc.oneof(almost, fc.array(fc.oneof(almostUser, almost), { maxLength: 3 })) })),
      meta: fc.oneof(almost, fc.record({ newest_id: almost, next_token: almost, result_count: almost }, { requiredKeys: [] })),
      errors: fc.oneof(almost, fc.array(fc.record({ title: almost, detail: almost, type: almost }), { maxLength: 2 })),
    },
    { requiredKeys: [] },
  ),
);

function expectShapedPost(post: XPost): void {
  expect(post.id).toMatch(X_ID);
  expect(typeof post.text).toBe("string");
  expect(post.authorId === "" || X_ID.test(post.authorId)).toBe(true);
  for (const id of [post.conversationId, post.inReplyToUserId, post.repliedToPostId, post.quotedPostId]) {
    if (id !== undefined) expect(id).toMatch(X_ID);
  }
  for (const id of post.mentionedUserIds) expect(id).toMatch(X_ID);
  if (post.createdAt !== undefined) expect(Number.isNaN(post.createdAt.getTime())).toBe(false);
}

/** Runs `parse`; an XUnexpectedResponseError is the one allowed failure. */
function parsedOrRefused<T>(parse: () => T): T | undefined {
  try {
    return parse();
  } catch (error) {
    expect(error).toBeInstanceOf(XUnexpectedResponseError);
    return undefined;
  }
}

describe("X payload parsing (property)", () => {
  it("random bodies give shape-checked posts, users and ids, or an XUnexpectedResponseError", () => {
    fc.assert(
      fc.property(body, (json) => {
        for (const post of parsedOrRefused(() => parsePostList(json)) ?? []) expectShapedPost(post);
        const page = parsedOrRefused(() => parseTimelinePage(json));
        if (page?.newestId !== undefined) expect(page.newestId).toMatch(X_ID);
        if (page?.nextToken !== undefined) expect(typeof page.nextToken).toBe("string");
        const single = parsePost(json);
        if (single) expectShapedPost(single);
        const user = parseUserResponse(json);
        if (user) {
          expect(user.id).toMatch(X_ID);
          expect(user.username.length).toBeGreaterThan(0);
        }
        const created = parsedOrRefused(() => parseCreatedPost(json));
        if (created) expect(created.id).toMatch(X_ID);
      }),
      { numRuns: 400 },
    );
  });
});

/** What the fake server answers next. */
interface Answer {
  status: number;
  body: string;
  headers: Record<string, string>;
}

describe("the X client against a server answering random payloads (property)", () => {
  let server: http.Server;
  let next: Answer = { status: 200, body: "{}", headers: {} };
  let root = "";

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        res.writeHead(next.status, { "content-type": "application/json", ...next.headers });
        res.end(next.body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    root = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const answer = fc.record({
    status: fc.constantFrom(200, 201, 204, 400, 401, 403, 404, 409, 429, 500, 503),
    body: fc.oneof(body.map((json) => JSON.stringify(json)), fc.constantFrom("", "not json", "{", "null", "[]", '{"data":')),
    headers: fc.record(
      {
        "x-rate-limit-limit": fc.oneof(fc.nat().map(String), fc.string({ maxLength: 5 })),
        "x-rate-limit-remaining": fc.oneof(fc.nat().map(String), fc.string({ maxLength: 5 })),
        "x-rate-limit-reset": fc.oneof(fc.nat().map(String), fc.constantFrom("-1", "1e30", "x", "")),
      },
      { requiredKeys: [] },
    ),
  });

  it("every call resolves with checked values or rejects with an XApiError", async () => {
    const client = createXAccountClient({
      apiRoot: root,
      credentials: { appKey: "k", appSecret: "s", accessToken: "t", accessSecret: "a" },
      requestTimeoutMs: 2_000,
    });
    const calls: [string, () => Promise<unknown>][] = [
      ["me", () => client.me()],
      ["mentions", () => client.mentions("42", { maxResults: 5 })],
      ["search", () => client.searchRecent("typescript", { maxResults: 10 })],
      ["lookup", () => client.lookupPosts(["1", "2"])],
      ["post", () => client.postReply("hello", "1")],
      ["user", () => client.userByUsername("alice")],
    ];
    await fc.assert(
      fc.asyncProperty(answer, fc.constantFrom(...calls), async (reply, [, run]) => {
        next = reply;
        try {
          const value = await run();
          if (value && typeof value === "object" && "posts" in value) for (const post of (value as { posts: XPost[] }).posts) expectShapedPost(post);
          if (Array.isArray(value)) for (const post of value as XPost[]) expectShapedPost(post);
        } catch (error) {
          expect(error).toBeInstanceOf(XApiError);
          expect(["transient", "rate_limited", "permanent"]).toContain((error as XApiError).kind);
        }
      }),
      { numRuns: 60 },
    );
  });
});
