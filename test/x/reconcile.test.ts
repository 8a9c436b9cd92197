import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { isXApiError } from "../../src/x/errors.js";
import { findExistingReply, normalizeReplyText } from "../../src/x/reconcile.js";
import type { XAccountClient } from "../../src/x/types.js";
import { startFakeX } from "../support/fake-x/index.js";
import type { FakeX, FakeXTweet, FakeXUser } from "../support/fake-x/index.js";
import { rejectionOf, xClientFor } from "./x-test-client.js";

describe("findExistingReply", () => {
  let fake: FakeX;
  let bot: FakeXUser;
  let alice: FakeXUser;
  let client: XAccountClient;
  let root: FakeXTweet;

  beforeAll(async () => {
    fake = await startFakeX();
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => {
    fake.reset();
    bot = fake.addUser({ username: "replyguy", accessToken: "bot-token" });
    alice = fake.addUser({ username: "alice", accessToken: "alice-token" });
    root = fake.addTweet({ authorId: alice.id, text: "@replyguy thoughts?" });
    client = xClientFor(fake, "bot-token");
  });

  it("finds the reply that X committed although the connection dropped", async () => {
    fake.enqueueFault({ method: "POST" }, { kind: "commitThenDrop" });
    const error = await rejectionOf(client.postReply("Here is my take.", root.id));
    expect(isXApiError(error) && error.mayHaveSucceeded).toBe(true);

    const found = await findExistingReply(client, bot.id, root.id, { text: "Here is my take." });
    expect(found).toMatchObject({ authorId: bot.id, repliedToPostId: root.id, text: "Here is my take." });
    expect(found?.id).toBe(fake.repliesTo(root.id)[0]?.id);
    const [read] = fake.requests({ endpoint: "GET /2/users/:id/tweets" });
    expect(read?.query).toMatchObject({ since_id: root.id, exclude: "retweets" });
  });

  it("returns undefined when the account has not replied to that post", async () => {
    const other = fake.addTweet({ authorId: alice.id, text: "@replyguy another" });
    await client.postReply("reply to the other post", other.id);
    fake.addTweet({ authorId: alice.id, text: "alice replies herself", inReplyToTweetId: root.id });
    fake.addTweet({ authorId: bot.id, text: "standalone bot post" });
    expect(await findExistingReply(client, bot.id, root.id)).toBeUndefined();
    expect(await findExistingReply(client, bot.id, root.id, { text: "anything" })).toBeUndefined();
  });

  it("prefers the reply whose text matches, else returns the newest reply", async () => {
    const manual = fake.addTweet({ authorId: bot.id, text: "@alice a manual answer", inReplyToTweetId: root.id });
    const drafted = fake.addTweet({ authorId: bot.id, text: "@alice The drafted   answer &amp; more", inReplyToTweetId: root.id });
    const later = fake.addTweet({ authorId: bot.id, text: "@alice a follow-up", inReplyToTweetId: root.id });
    expect((await findExistingReply(client, bot.id, root.id, { text: "the drafted answer & more" }))?.id).toBe(drafted.id);
    expect((await findExistingReply(client, bot.id, root.id, { text: "never posted" }))?.id).toBe(later.id);
    expect((await findExistingReply(client, bot.id, root.id))?.id).toBe(later.id);
    expect(manual.id).toBeTruthy();
  });

  it("pages back through a busy timeline up to maxPages", async () => {
    const reply = fake.addTweet({ authorId: bot.id, text: "my reply", inReplyToTweetId: root.id });
    for (let i = 0; i < 150; i++) fake.addTweet({ authorId: bot.id, text: `busy ${i}` });
    expect((await findExistingReply(client, bot.id, root.id))?.id).toBe(reply.id);
    expect(fake.requests({ endpoint: "GET /2/users/:id/tweets" })).toHaveLength(2);
    expect(await findExistingReply(client, bot.id, root.id, { maxPages: 1 })).toBeUndefined();
  });

  it("normalizes reply text the way X hands it back", () => {
    expect(normalizeReplyText("@alice @bob  Hello &amp; welcome https://t.co/abc ")).toBe("hello & welcome");
    expect(normalizeReplyText("Hello & welcome https://example.com/x")).toBe("hello & welcome");
  });
});
