import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createOpenAiDrafter, type Drafter } from "../../src/ai/drafter.js";
import {
  posts,
  replies,
  workflowEvents,
  xAccounts,
} from "../../src/db/schema.js";
import { sql } from "drizzle-orm";
import type { DraftCaps } from "../../src/workflow/draft-caps.js";
import { draftRetryDelayMs, runDrafting } from "../../src/workflow/drafting.js";
import type { WorkflowNotice } from "../../src/workflow/notices.js";
import { PauseSwitch } from "../../src/workflow/pause.js";
import { SettingsStore } from "../../src/workflow/settings.js";
import { Watchlist } from "../../src/workflow/watchlist.js";
import { clearWorkflowTables, pendingPost, WORKFLOW_TEST_DEFAULTS } from "../support/workflow-fixtures.js";
import { databaseTargets, useTestDatabase } from "../support/database.js";
import {
  startFakeOpenAI,
  type FakeChatRequest,
  type FakeOpenAI,
  type FakeOpenAIStatusReply,
} from "../support/fake-openai.js";
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

/** A 200 completion whose message or finish reason the fake's text answers cannot express (a refusal, a filter). */
function completion(message: Record<string, unknown>, finishReason = "stop"): FakeOpenAIStatusReply {
  return {
    status: 200,
    body: {
      id: "chatcmpl-test",
      object: "chat.completion",
      created: 1_700_000_000,
      model: MODEL,
      choices: [{ index: 0, message: { role: "assistant", content: null, refusal: null, ...message }, logprobs: null, finish_reason: finishReason }],
    },
  };
}

describe.each(databaseTargets())("drafting on $name", (target) => {
  const db = useTestDatabase(target, clearWorkflowTables);
  let ai: FakeOpenAI;
  let drafter: Drafter;
  let settings: SettingsStore;
  let watchlist: Watchlist;
  let pause: PauseSwitch;
  let accountId: number;
  let clock: Date;
  let notices: WorkflowNotice[];
  let nextTweetId = 1_800_000_000_000_000_000n;

  beforeAll(async () => {
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
    const [account] = await d
      .insert(xAccounts)
      .values({ label: "main", xUserId: "900001", username: "replyguy" })
      .returning({ id: xAccounts.id });
    accountId = account!.id;
    settings = new SettingsStore(d, WORKFLOW_TEST_DEFAULTS);
    watchlist = new Watchlist(d);
    pause = new PauseSwitch(d);
    clock = new Date("2030-01-01T12:00:00Z");
    notices = [];
  });
  afterAll(async () => {
    await ai?.close();
  });

  /** A discovered post waiting for a draft. */
  async function addPost(text: string, extra: Partial<typeof posts.$inferInsert> = {}): Promise<string> {
    const tweetId = String(nextTweetId++);
    await db().insert(posts).values(pendingPost(tweetId, accountId, text, extra));
    return tweetId;
  }

  function draft(overrides: { drafter?: Drafter | undefined; caps?: DraftCaps; maxAttempts?: number } = {}) {
    return runDrafting({
      db: db(),
      drafter: "drafter" in overrides ? overrides.drafter : drafter,
      settings,
      watchlist,
      pause,
      logger,
      draftTtlHours: TTL_HOURS,
      now: () => clock,
      notify: (notice) => notices.push(notice),
      ...(overrides.caps ? { caps: overrides.caps } : {}),
      ...(overrides.maxAttempts !== undefined ? { maxAttempts: overrides.maxAttempts } : {}),
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
      // The post summoned the account: the reply is bound to it, and a mention comes first.
      accountId,
      boundAccountId: accountId,
      priority: 0,
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

  it("a reply to a post that summoned no account is free (no account until a claim), with its source's priority", async () => {
    const tweetId = await addPost("TypeScript 6 is out", { source: "search", sourceDetail: "typescript", boundAccountId: null });
    ai.enqueueReply("The new checks are worth it.");
    await draft();
    expect((await repliesTo(tweetId))[0]).toMatchObject({ accountId: null, boundAccountId: null, priority: 2 });
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

  it("waits out an AI outage without counting attempts: one alert with the posts waiting, one when drafts are made again", async () => {
    const waiting = [await addPost("@replyguy are you there?"), await addPost("@replyguy hello?"), await addPost("@replyguy anyone?")];
    ai.setDown(503);

    // Each pass asks once, stops (the others would fail alike) and leaves every post waiting, uncounted.
    for (let pass = 1; pass <= 3; pass++) {
      expect(await draft()).toEqual([]);
      expect(ai.chatRequests()).toHaveLength(pass);
      advance(60_000);
    }
    ai.enqueueFault({ status: 429 });
    ai.setDown(null);
    expect(await draft()).toEqual([]);
    expect(ai.chatRequests()).toHaveLength(4);
    for (const tweetId of waiting) {
      const row = await post(tweetId);
      expect(row).toMatchObject({ state: "pending_draft", draftAttempts: 0 });
      expect(row.nextDraftAt === null || row.nextDraftAt <= clock).toBe(true);
    }
    expect(notices).toEqual([{ kind: "ai_outage", waiting: 3, reason: expect.stringContaining("503") as unknown }]);

    // The AI is back: every waiting post is drafted in that pass, and one notice says so.
    const created = await draft();
    expect(created).toHaveLength(3);
    for (const tweetId of waiting) expect(await post(tweetId)).toMatchObject({ state: "drafted" });
    expect(notices).toHaveLength(2);
    expect(notices[1]).toMatchObject({ kind: "ai_recovered", drafted: 3, waiting: 0 });
    expect(await draft()).toEqual([]);
    expect(notices).toHaveLength(2);
  });

  it("a post that alone makes the AI fail does not hold the others: it goes to the back, then counts as its own failure", async () => {
    const poison = await addPost("@replyguy poison pill");
    const fine = [await addPost("@replyguy first fine one"), await addPost("@replyguy second fine one")];
    ai.setResponder((request) =>
      JSON.stringify(request.messages).includes("poison pill") ? { status: 503 } : "Happy to help with that.",
    );

    // First pass: the poison post is the oldest and fails first; that looks like an outage, so the pass stops.
    expect(await draft()).toEqual([]);
    expect(notices).toEqual([expect.objectContaining({ kind: "ai_outage" })]);
    expect(await post(poison)).toMatchObject({ state: "pending_draft", draftAttempts: 0 });

    // It went to the back: the next pass drafts the others first, then counts the poison post's failure as its own.
    advance(60_000);
    expect(await draft()).toHaveLength(2);
    for (const tweetId of fine) expect(await post(tweetId)).toMatchObject({ state: "drafted" });
    expect(notices.map((n) => n.kind)).toEqual(["ai_outage", "ai_recovered"]);
    expect(await post(poison)).toMatchObject({ state: "pending_draft", draftAttempts: 1 });
  });

  it("skips a post whose drafts are refused 3 times, with the reason, and never asks a 4th time", async () => {
    const tweetId = await addPost("@replyguy say something awful");
    ai.setResponder(() => completion({ refusal: "I can't help with that." }));

    for (let attempt = 1; attempt <= 2; attempt++) {
      expect(await draft()).toEqual([]);
      const row = await post(tweetId);
      expect(row).toMatchObject({ state: "pending_draft", draftAttempts: attempt });
      expect(row.nextDraftAt).toEqual(new Date(clock.getTime() + draftRetryDelayMs(attempt)));
      advance(draftRetryDelayMs(attempt));
    }
    expect(await draft()).toEqual([]);
    expect(ai.chatRequests()).toHaveLength(3);
    expect(await post(tweetId)).toMatchObject({ state: "skipped", skipReason: "draft_refused", draftAttempts: 3 });
    expect(await eventsOf("skipped")).toMatchObject([{ postTweetId: tweetId }]);
    expect(notices).toEqual([
      { kind: "draft_failed", tweetId, attempts: 3, skipReason: "draft_refused", reason: expect.stringContaining("refused") as unknown },
    ]);

    advance(24 * 3_600_000);
    expect(await draft()).toEqual([]);
    expect(ai.chatRequests()).toHaveLength(3);
    expect(await repliesTo(tweetId)).toHaveLength(0);
  });

  it("names each permanent failure in the skip reason: empty after cleaning, content filter", async () => {
    const empty = await addPost("@replyguy empty please");
    const filtered = await addPost("@replyguy filter me");
    ai.setResponder((request) =>
      JSON.stringify(request.messages).includes("empty please") ? '""' : completion({ content: "" }, "content_filter"),
    );

    expect(await draft({ maxAttempts: 1 })).toEqual([]);
    expect(await post(empty)).toMatchObject({ state: "skipped", skipReason: "draft_empty", draftAttempts: 1 });
    expect(await post(filtered)).toMatchObject({ state: "skipped", skipReason: "draft_content_filter", draftAttempts: 1 });
    expect(ai.chatRequests()).toHaveLength(2);
    // An unusable answer is the AI answering: no outage notice.
    expect(notices.map((notice) => notice.kind)).toEqual(["draft_failed", "draft_failed"]);
  });

  it("counts a draft still too long after the shorten requests as a failed attempt, and skips the post after 3", async () => {
    const tweetId = await addPost("@replyguy tell me everything");
    const sentence = "This answer keeps going on and on. ";
    const long = sentence.repeat(Math.ceil(300 / sentence.length)).slice(0, 299) + ".";
    expect(long).toHaveLength(300);
    ai.setResponder(() => long);

    for (let attempt = 1; attempt <= 3; attempt++) {
      expect(await draft()).toEqual([]);
      // Each attempt: the first draft and both shorten requests.
      expect(ai.chatRequests()).toHaveLength(3 * attempt);
      advance(draftRetryDelayMs(attempt));
    }
    expect(await post(tweetId)).toMatchObject({ state: "skipped", skipReason: "draft_too_long", draftAttempts: 3 });
    expect(await repliesTo(tweetId)).toHaveLength(0);
    expect(await draft()).toEqual([]);
    expect(ai.chatRequests()).toHaveLength(9);
  });

  describe("spend caps", () => {
    const caps = { perAuthorPerDay: 3, perDay: 200 };

    it("drafts at most 3 posts of one author per 24 hours and skips the rest before any AI call", async () => {
      const alice = [];
      for (let i = 0; i < 5; i++) alice.push(await addPost(`@replyguy question ${i}`));
      const bob = await addPost("@replyguy from bob", { authorId: "900003", authorUsername: "bob" });

      expect(await draft({ caps })).toHaveLength(4);
      expect(ai.chatRequests()).toHaveLength(4);
      for (const tweetId of alice.slice(0, 3)) expect(await post(tweetId)).toMatchObject({ state: "drafted" });
      for (const tweetId of alice.slice(3)) expect(await post(tweetId)).toMatchObject({ state: "skipped", skipReason: "author_cap" });
      expect(await post(bob)).toMatchObject({ state: "drafted" });

      // The window is a rolling 24 hours on the database clock: once the drafts are older, alice may be answered again.
      const later = await addPost("@replyguy one more");
      expect(await draft({ caps })).toEqual([]);
      expect(await post(later)).toMatchObject({ state: "skipped", skipReason: "author_cap" });
      await db().execute(sql`update workflow_events set at = at - interval '24 hours 1 minute'`);
      const nextDay = await addPost("@replyguy next day");
      expect(await draft({ caps })).toHaveLength(1);
      expect(await post(nextDay)).toMatchObject({ state: "drafted" });
      expect(ai.chatRequests()).toHaveLength(5);
    });

    it("stops at the day cap over all authors", async () => {
      const tweetIds = [];
      for (let i = 0; i < 4; i++) tweetIds.push(await addPost(`@replyguy hi ${i}`, { authorId: String(910_000 + i), authorUsername: `user${i}` }));

      expect(await draft({ caps: { perAuthorPerDay: 3, perDay: 2 } })).toHaveLength(2);
      expect(ai.chatRequests()).toHaveLength(2);
      expect((await Promise.all(tweetIds.map(post))).map((row) => row.skipReason)).toEqual([null, null, "day_cap", "day_cap"]);
    });

    it("counts a post the gatekeeper turned down, and checks the cap before the gatekeeper's call", async () => {
      expect(await settings.set("gatekeeper", "on", ADMIN)).toMatchObject({ ok: true });
      ai.setResponder((request, context) =>
        isGateRequest(request)
          ? JSON.stringify(JSON.stringify(request.messages).includes("boring") ? { score: 0.1, reason: "no" } : { score: 0.9, reason: "yes" })
          : `Draft number ${context.n}`,
      );
      const turnedDown = await addPost("@replyguy boring");
      const drafted = await addPost("@replyguy typescript");
      const capped = await addPost("@replyguy typescript again");

      expect(await draft({ caps: { perAuthorPerDay: 2, perDay: 200 } })).toHaveLength(1);
      expect(await post(turnedDown)).toMatchObject({ state: "skipped", skipReason: "gatekeeper" });
      expect(await post(drafted)).toMatchObject({ state: "drafted" });
      expect(await post(capped)).toMatchObject({ state: "skipped", skipReason: "author_cap", gateCheckedAt: null });
      expect(gateRequests()).toHaveLength(2);
      expect(draftRequests()).toHaveLength(1);
    });
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
        return draftCalls === 1 ? "   " : `Draft number ${context.n}`;
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
