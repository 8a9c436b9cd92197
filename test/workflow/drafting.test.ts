import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createOpenAiDrafter, type Drafter } from "../../src/ai/drafter.js";
import {
  posts,
  replies,
  workflowEvents,
  xAccounts,
} from "../../src/db/schema.js";
import { draftRetryDelayMs, runDrafting } from "../../src/workflow/drafting.js";
import { PauseSwitch } from "../../src/workflow/pause.js";
import { SettingsStore } from "../../src/workflow/settings.js";
import { Watchlist } from "../../src/workflow/watchlist.js";
import { clearWorkflowTables, WORKFLOW_TEST_DEFAULTS } from "../support/workflow-fixtures.js";
import { databaseTargets, type TestDatabase } from "../support/database.js";
import { startFakeOpenAI, type FakeChatRequest, type FakeOpenAI } from "../support/fake-openai.js";
import { silentLogger } from "../support/logger.js";

const ADMIN = 1001;
const MODEL = "gpt-4o-mini";
const TTL_HOURS = 24;
const logger = silentLogger();

const isGateRequest = (body: unknown): boolean =>
  typeof body === "object" &&
  body !== null &&
  (body as FakeChatRequest).response_format !== undefined &&
  ((body as FakeChatRequest).response_format as { type?: unknown }).type === "json_schema";

describe.each(databaseTargets())("drafting on $name", (target) => {
  let database: TestDatabase;
  let ai: FakeOpenAI;
  let drafter: Drafter;
  let settings: SettingsStore;
  let watchlist: Watchlist;
  let pause: PauseSwitch;
  let accountId: number;
  let clock: Date;
  let nextTweetId = 1_800_000_000_000_000_000n;

  const db = () => database.handle.db;

  beforeAll(async () => {
    database = await target.create();
    ai = await startFakeOpenAI();
    drafter = createOpenAiDrafter({
      baseUrl: ai.baseUrl,
      apiKey: "sk-test-key-123",
      model: MODEL,
      maxShortenAttempts: 2,
      requestTimeoutMs: 5_000,
    });
  });
  beforeEach(async () => {
    ai.reset();
    const d = db();
    await clearWorkflowTables(d);
    const [account] = await d
      .insert(xAccounts)
      .values({ label: "main", xUserId: "900001", username: "replyguy" })
      .returning({ id: xAccounts.id });
    accountId = account!.id;
    settings = new SettingsStore(d, WORKFLOW_TEST_DEFAULTS);
    watchlist = new Watchlist(d);
    pause = new PauseSwitch(d);
    clock = new Date("2030-01-01T12:00:00Z");
  });
  afterAll(async () => {
    await ai?.close();
    await database?.dispose();
  });

  /** A discovered post waiting for a draft. */
  async function addPost(text: string, extra: Partial<typeof posts.$inferInsert> = {}): Promise<string> {
    const tweetId = String(nextTweetId++);
    await db()
      .insert(posts)
      .values({
        tweetId,
        authorId: "900002",
        authorUsername: "alice",
        text,
        source: "mention",
        sourceDetail: "@replyguy",
        accountId,
        answerable: true,
        state: "pending_draft",
        ...extra,
      });
    return tweetId;
  }

  function draft(overrides: { drafter?: Drafter | undefined } = {}) {
    return runDrafting({
      db: db(),
      drafter: "drafter" in overrides ? overrides.drafter : drafter,
      settings,
      watchlist,
      pause,
      logger,
      draftTtlHours: TTL_HOURS,
      now: () => clock,
    });
  }

  async function post(tweetId: string) {
    const [row] = await db().select().from(posts).where(eq(posts.tweetId, tweetId));
    return row!;
  }

  async function repliesTo(tweetId: string) {
    return db().select().from(replies).where(eq(replies.postTweetId, tweetId));
  }

  async function eventsOf(kind: string) {
    return db().select().from(workflowEvents).where(eq(workflowEvents.kind, kind));
  }

  const gateRequests = () => ai.chatRequests().filter((request) => isGateRequest(request.body));
  const draftRequests = () => ai.chatRequests().filter((request) => !isGateRequest(request.body));
  const advance = (ms: number) => {
    clock = new Date(clock.getTime() + ms);
  };

  it("drafts one awaiting-approval reply for a pending post", async () => {
    const tweetId = await addPost("@replyguy what do you think about TypeScript 6?");
    ai.enqueueReply("It looks like a solid release, the new checks are worth it.");

    const created = await draft();
    expect(created).toHaveLength(1);
    const rows = await repliesTo(tweetId);
    expect(rows).toHaveLength(1);
    const text = "It looks like a solid release, the new checks are worth it.";
    expect(rows[0]).toMatchObject({
      id: created[0],
      postTweetId: tweetId,
      accountId,
      status: "awaiting_approval",
      draft: text,
      weightedLength: text.length,
      tooLong: false,
      model: MODEL,
      expiresAt: new Date(clock.getTime() + TTL_HOURS * 3_600_000),
    });
    expect(await post(tweetId)).toMatchObject({ state: "drafted", draftAttempts: 0, gateCheckedAt: null });
    expect(await eventsOf("drafted")).toMatchObject([{ replyId: created[0], postTweetId: tweetId }]);
    expect(ai.chatRequests()).toHaveLength(1);
    expect(JSON.stringify(ai.chatRequests()[0]?.messages)).toContain("what do you think about TypeScript 6?");
    expect(JSON.stringify(ai.chatRequests()[0]?.messages)).toContain(WORKFLOW_TEST_DEFAULTS.persona);

    // Nothing is left to draft: a second run asks the AI nothing.
    expect(await draft()).toEqual([]);
    expect(ai.chatRequests()).toHaveLength(1);
  });

  it("does nothing without a drafter", async () => {
    const tweetId = await addPost("@replyguy hello");
    expect(await draft({ drafter: undefined })).toEqual([]);
    expect(await post(tweetId)).toMatchObject({ state: "pending_draft", draftAttempts: 0 });
    expect(await repliesTo(tweetId)).toHaveLength(0);
  });

  it("does nothing while paused", async () => {
    const tweetId = await addPost("@replyguy hello");
    await pause.pause(ADMIN);
    expect(await draft()).toEqual([]);
    expect(ai.chatRequests()).toHaveLength(0);
    expect(await post(tweetId)).toMatchObject({ state: "pending_draft", draftAttempts: 0 });

    await pause.resume(ADMIN);
    expect(await draft()).toHaveLength(1);
  });

  it("keeps posts waiting with a backoff while the AI is down and drafts them when it returns", async () => {
    const tweetId = await addPost("@replyguy are you there?");
    ai.setDown(503);

    expect(await draft()).toEqual([]);
    expect(ai.chatRequests()).toHaveLength(1);
    let row = await post(tweetId);
    expect(row).toMatchObject({ state: "pending_draft", draftAttempts: 1 });
    expect(row.nextDraftAt).toEqual(new Date(clock.getTime() + draftRetryDelayMs(1)));
    expect(row.nextDraftAt!.getTime()).toBeGreaterThan(clock.getTime());
    expect(await repliesTo(tweetId)).toHaveLength(0);

    // Before the retry time nothing is asked, even though the AI would now answer.
    ai.setDown(null);
    advance(draftRetryDelayMs(1) - 1_000);
    expect(await draft()).toEqual([]);
    expect(ai.chatRequests()).toHaveLength(1);

    // Due again, and down again (a 500 this time): the backoff doubles.
    advance(1_000);
    ai.enqueueFault({ status: 500 });
    expect(await draft()).toEqual([]);
    expect(ai.chatRequests()).toHaveLength(2);
    row = await post(tweetId);
    expect(row).toMatchObject({ state: "pending_draft", draftAttempts: 2 });
    expect(row.nextDraftAt).toEqual(new Date(clock.getTime() + draftRetryDelayMs(2)));
    expect(draftRetryDelayMs(2)).toBeGreaterThan(draftRetryDelayMs(1));

    advance(draftRetryDelayMs(2) - 1_000);
    expect(await draft()).toEqual([]);
    expect(ai.chatRequests()).toHaveLength(2);

    // The AI is back and the retry time has passed: the draft is made.
    advance(1_000);
    const created = await draft();
    expect(created).toHaveLength(1);
    expect(ai.chatRequests()).toHaveLength(3);
    expect(await post(tweetId)).toMatchObject({ state: "drafted" });
    expect(await repliesTo(tweetId)).toMatchObject([{ status: "awaiting_approval" }]);
  });

  it("stores a draft still too long after shortening as tooLong, without truncating it", async () => {
    const tweetId = await addPost("@replyguy tell me everything");
    const sentence = "This answer keeps going on and on. ";
    const long = sentence.repeat(Math.ceil(300 / sentence.length)).slice(0, 299) + ".";
    expect(long).toHaveLength(300);
    ai.setResponder(() => long);

    const created = await draft();
    expect(created).toHaveLength(1);
    // The first draft and both shorten attempts.
    expect(ai.chatRequests()).toHaveLength(3);
    const [reply] = await repliesTo(tweetId);
    expect(reply).toMatchObject({ draft: long, weightedLength: 300, tooLong: true, status: "awaiting_approval" });
    expect(await post(tweetId)).toMatchObject({ state: "drafted" });
  });

  describe("gatekeeper", () => {
    beforeEach(async () => {
      expect(await settings.set("gatekeeper", "on", ADMIN)).toMatchObject({ ok: true });
      expect(await settings.set("gatekeeper_min_score", "0.5", ADMIN)).toMatchObject({ ok: true });
    });

    /** Scores a post 0.2 when it says "boring", 0.9 otherwise; drafts normally. */
    const scoringResponder = (request: FakeChatRequest, context: { n: number }) => {
      if (!isGateRequest(request)) return `Draft number ${context.n}`;
      const boring = JSON.stringify(request.messages).includes("boring");
      return JSON.stringify(boring ? { score: 0.2, reason: "small talk" } : { score: 0.9, reason: "on topic" });
    };

    it("skips a post scored below the minimum and drafts one above it, storing both decisions", async () => {
      await watchlist.add("topic", "typescript", ADMIN);
      const low = await addPost("@replyguy boring weather today");
      const high = await addPost("@replyguy typescript generics question");
      ai.setResponder(scoringResponder);

      const created = await draft();
      expect(created).toHaveLength(1);
      expect(gateRequests()).toHaveLength(2);
      expect(draftRequests()).toHaveLength(1);
      expect(JSON.stringify(gateRequests()[0]?.messages)).toContain("typescript");

      const lowRow = await post(low);
      expect(lowRow).toMatchObject({ state: "skipped", skipReason: "gatekeeper", gateReason: "small talk" });
      expect(lowRow.gateScore).toBeCloseTo(0.2);
      expect(lowRow.gateCheckedAt).toBeInstanceOf(Date);
      expect(await repliesTo(low)).toHaveLength(0);
      expect(await eventsOf("skipped")).toMatchObject([{ postTweetId: low }]);

      const highRow = await post(high);
      expect(highRow).toMatchObject({ state: "drafted", gateReason: "on topic" });
      expect(highRow.gateScore).toBeCloseTo(0.9);
      expect(highRow.gateCheckedAt).toBeInstanceOf(Date);
      expect(await repliesTo(high)).toMatchObject([{ id: created[0], status: "awaiting_approval" }]);

      expect(await draft()).toEqual([]);
      expect(ai.chatRequests()).toHaveLength(3);
    });

    it("does not score a post again when its draft has to be retried", async () => {
      const tweetId = await addPost("@replyguy typescript question");
      let draftCalls = 0;
      ai.setResponder((request, context) => {
        if (isGateRequest(request)) return scoringResponder(request, context);
        draftCalls += 1;
        return draftCalls === 1 ? { status: 503 } : `Draft number ${context.n}`;
      });

      expect(await draft()).toEqual([]);
      expect(gateRequests()).toHaveLength(1);
      expect(await post(tweetId)).toMatchObject({ state: "pending_draft", draftAttempts: 1, gateReason: "on topic" });

      advance(draftRetryDelayMs(1));
      expect(await draft()).toHaveLength(1);
      expect(gateRequests()).toHaveLength(1);
      expect(draftRequests()).toHaveLength(2);
      expect(await post(tweetId)).toMatchObject({ state: "drafted" });
    });

    it("fails open when the gatekeeper errors: the post is drafted and the decision stored", async () => {
      const tweetId = await addPost("@replyguy boring weather today");
      ai.setResponder((request, context) => (isGateRequest(request) ? { status: 500 } : `Draft number ${context.n}`));

      const created = await draft();
      expect(created).toHaveLength(1);
      expect(gateRequests()).toHaveLength(1);
      const row = await post(tweetId);
      expect(row).toMatchObject({ state: "drafted", gateScore: null, skipReason: null });
      expect(row.gateReason).toMatch(/unavailable/);
      expect(row.gateCheckedAt).toBeInstanceOf(Date);
      expect(await repliesTo(tweetId)).toMatchObject([{ status: "awaiting_approval" }]);
    });
  });

  it("never gives a post two replies when two runs draft it at once", async () => {
    const tweetId = await addPost("@replyguy race me");
    // Hold the first draft until the second run asks too, so both runs draft the same post at once.
    let release: () => void = () => undefined;
    const bothAsked = new Promise<void>((resolve) => {
      release = resolve;
      setTimeout(resolve, 5_000).unref();
    });
    ai.setResponder(async (_request, context) => {
      if (context.n === 2) release();
      await bothAsked;
      return `Draft number ${context.n}`;
    });

    const results = await Promise.all([draft(), draft()]);
    expect(ai.chatRequests()).toHaveLength(2);
    expect(results.flat()).toHaveLength(1);
    expect(await repliesTo(tweetId)).toHaveLength(1);
    expect(await post(tweetId)).toMatchObject({ state: "drafted" });
    expect(await eventsOf("drafted")).toHaveLength(1);
  });

  it("keeps an existing reply when a post that already has one is drafted again", async () => {
    const tweetId = await addPost("@replyguy hello again");
    const [existing] = await db()
      .insert(replies)
      .values({
        postTweetId: tweetId,
        accountId,
        status: "awaiting_approval",
        draft: "the first draft",
        weightedLength: 15,
        expiresAt: new Date(clock.getTime() + 3_600_000),
      })
      .returning({ id: replies.id });

    expect(await draft()).toEqual([]);
    expect(await repliesTo(tweetId)).toMatchObject([{ id: existing!.id, draft: "the first draft" }]);
    expect(await post(tweetId)).toMatchObject({ state: "drafted" });
    expect(await eventsOf("drafted")).toHaveLength(0);
  });

  it("does not draft a waiting post whose author opted out after it was discovered", async () => {
    const tweetId = await addPost("@replyguy hello", { authorUsername: "Alice" });
    await watchlist.optOut("alice", ADMIN);

    expect(await draft()).toEqual([]);
    expect(ai.chatRequests()).toHaveLength(0);
    expect(await repliesTo(tweetId)).toHaveLength(0);
    expect(await post(tweetId)).toMatchObject({ state: "skipped", skipReason: "opted_out" });
  });
});
