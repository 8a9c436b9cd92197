import { describe, expect, it } from "vitest";
import { XUnexpectedResponseError } from "../../src/x/errors.js";
import { parseCreatedPost, parsePost, parsePostList, parseTimelinePage, parseUser, xId } from "../../src/x/parse.js";

const goodPost = {
  id: "1900000000000000001",
  text: "hello @bob",
  author_id: "900002",
  conversation_id: "1900000000000000000",
  in_reply_to_user_id: "900003",
  referenced_tweets: [{ type: "replied_to", id: "1900000000000000000" }],
  entities: { mentions: [{ id: "900004", username: "bob" }] },
};

describe("X ids are checked by shape before they go anywhere", () => {
  it.each(["0", "1", "900002", "1900000000000000001", "9".repeat(19)])("accepts the id %j", (id) => {
    expect(xId(id)).toBe(id);
  });

  it.each(["", " 1", "1 ", "-1", "1e5", "0x1f", "12abc", "1.5", "9".repeat(20), "1;drop table posts", "١٢٣"])(
    "refuses the id %j",
    (id) => {
      expect(xId(id)).toBeUndefined();
    },
  );

  it.each([123, null, undefined, {}, ["1"]])("refuses a non-string id %j", (id) => {
    expect(xId(id)).toBeUndefined();
  });

  it("reads a well-formed post whole", () => {
    expect(parsePost(goodPost)).toMatchObject({
      id: goodPost.id,
      authorId: "900002",
      conversationId: goodPost.conversation_id,
      inReplyToUserId: "900003",
      repliedToPostId: "1900000000000000000",
      mentionedUserIds: ["900004"],
    });
  });

  it("drops a post whose id is not an X id, and a user whose id is not one", () => {
    expect(parsePost({ ...goodPost, id: "19000000000000000019" })).toBeUndefined();
    expect(parsePost({ ...goodPost, id: "abc" })).toBeUndefined();
    expect(parseUser({ id: "9e9", username: "bob" })).toBeUndefined();
    expect(parsePostList({ data: [goodPost, { ...goodPost, id: "x1" }] }).map((post) => post.id)).toEqual([goodPost.id]);
  });

  it("leaves out every malformed id inside a post", () => {
    const post = parsePost({
      ...goodPost,
      author_id: "alice",
      conversation_id: "-5",
      in_reply_to_user_id: "1 OR 1=1",
      referenced_tweets: [{ type: "replied_to", id: "'; --" }, { type: "quoted", id: "1".repeat(25) }],
      entities: { mentions: [{ id: "x", username: "bob" }] },
    });
    expect(post).toMatchObject({ id: goodPost.id, authorId: "", mentionedUserIds: [], mentionedUsernames: ["bob"] });
    expect(post?.conversationId).toBeUndefined();
    expect(post?.inReplyToUserId).toBeUndefined();
    expect(post?.repliedToPostId).toBeUndefined();
    expect(post?.quotedPostId).toBeUndefined();
  });

  it("ignores a malformed newest_id and refuses a created post without a well-formed id", () => {
    expect(parseTimelinePage({ data: [goodPost], meta: { newest_id: "newest" } }).newestId).toBe(goodPost.id);
    expect(() => parseCreatedPost({ data: { id: "1x", text: "hi" } })).toThrow(XUnexpectedResponseError);
    expect(parseCreatedPost({ data: { id: "1900000000000000005", text: "hi" } })).toEqual({ id: "1900000000000000005", text: "hi" });
  });
});
