/**
 * Drafting's details, with a scripted drafter (the AI port) so each test says exactly what the AI answers: the retry
 * delays, the default spend caps, what the AI is told about the post, a post decided elsewhere while its draft was
 * on the way, the reasons a given-up post carries, a pass without a notice sink, the gatekeeper's boundary and its
 * stored reason, and the log line every step writes with the post's id as its trace (what /trace follows).
 */
import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { AiError } from "../../src/ai/errors.js";
import type { DraftOutcome, Drafter, GateDecision, PostForDraft } from "../../src/ai/types.js";
import type { Logger } from "../../src/logger.js";
import { posts, replies, workflowEvents, xAccounts } from "../../src/db/schema.js";
import { draftRetryDelayMs, runDrafting } from "../../src/workflow/drafting.js";
import type { WorkflowNotice } from "../../src/workflow/notices.js";
import { PauseSwitch } from "../../src/workflow/pause.js";
import { SettingsStore } from "../../src/workflow/settings.js";
import { Watchlist } from "../../src/workflow/watchlist.js";
import { databaseTargets, useTestDatabase } from "../support/database.js";
import { capturingLogger, silentLogger } from "../support/logger.js";
import { clearWorkflowTables, pendingPost, WORKFLOW_TEST_DEFAULTS } from "../support/workflow-fixtures.js";

const ADMIN = 1001;

/** What the scripted AI answers for a post: a text, an outcome, or an error to throw. */
type Answer = string | DraftOutcome | Error;

function outcomeOf(text: string): DraftOutcome {
  return { text, weightedLength: text.length, tooLong: false, model: "scripted", shortenAttempts: 0 };
}

/** An AI that answers each post by `answer(post)`, scores it by `gate(post)`, and keeps what it was asked. */
function scriptedDrafter(answer: (post: PostForDraft) => Answer | Promise<Answer>, gate?: (post: PostForDraft) => GateDecision) {
  const asked: PostForDraft[] = [];
  const drafter: Drafter = {
    draft: async (post) => {
      asked.push(post);
      const result = await answer(post);
      if (result instanceof Error) throw result;
      return typeof result === "string" ? outcomeOf(result) : result;
    },
    gate: (post) => Promise.resolve(gate ? gate(post) : { score: 1, reason: "fine", model: "scripted" }),
  };
  return { drafter, asked };
}

/** The provider did not answer: an outage, not this post's fault. */
const outage = () => new AiError("transient", "the AI provider timed out");

describe("the draft retry delay", () => {
  it("doubles from 30 s with each failed attempt and stops at 30 minutes", () => {
    expect([0, 1, 2, 3, 6, 7, 20].map(draftRetryDelayMs)).toEqual([30_000, 30_000, 60_000, 120_000, 960_000, 1_800_000, 1_800_000]);
  });
});

describe.each(databaseTargets())("drafting's details on $name", (target) => {
  const db = useTestDatabase(target, clearWorkflowTables);
  let accountId: number;
  let notices: WorkflowNotice[];
  let nextTweetId = 1_900_000_000_000_000_000n;

  beforeEach(async () => {
    const [account] = await db().insert(xAccounts).values({ label: "main", xUserId: "900001", username: "replyguy" }).returning({ id: xAccounts.id });
    accountId = account!.id;
    notices = [];
  });

  async function addPost(text: string, extra: Partial<typeof posts.$inferInsert> = {}): Promise<string> {
    const tweetId = String(nextTweetId++);
    await db().insert(posts).values(pendingPost(tweetId, accountId, text, extra));
    return tweetId;
  }

  function draft(drafter: Drafter, options: { maxAttempts?: number; notify?: boolean; logger?: Logger; watchlist?: Watchlist; settings?: SettingsStore } = {}) {
    return runDrafting({
      db: db(),
      drafter,
      settings: options.settings ?? new SettingsStore(db(), WORKFLOW_TEST_DEFAULTS),
      watchlist: options.watchlist ?? new Watchlist(db()),
      pause: new PauseSwitch(db()),
      logger: options.logger ?? silentLogger(),
      draftTtlHours: 24,
      ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
      ...(options.notify === false ? {} : { notify: (notice: WorkflowNotice) => notices.push(notice) }),
    });
  }

  async function post(tweetId: string) {
    const [row] = await db().select().from(posts).where(eq(posts.tweetId, tweetId));
    return row!;
  }

  const repliesTo = (tweetId: string) => db().select().from(replies).where(eq(replies.postTweetId, tweetId));
  const skippedEvents = () => db().select().from(workflowEvents).where(eq(workflowEvents.kind, "skipped"));

  it("without caps given, drafts at most 3 posts of one author a day", async () => {
    const ids = [];
    for (let i = 0; i < 4; i++) ids.push(await addPost(`@replyguy question ${i}`));
    expect(await draft(scriptedDrafter(() => "Sure.").drafter)).toHaveLength(3);
    expect(await post(ids[3]!)).toMatchObject({ state: "skipped", skipReason: "author_cap" });
  });

  it("tells the AI the post's text, its author's @username and its source", async () => {
    await addPost("@replyguy how do I start?", { source: "search" });
    await addPost("@replyguy and without a name?", { authorUsername: null });
    const { drafter, asked } = scriptedDrafter(() => "Start small.");
    await draft(drafter);
    expect(asked).toEqual([
      { text: "@replyguy how do I start?", authorUsername: "alice", source: "search" },
      { text: "@replyguy and without a name?", authorUsername: undefined, source: "mention" },
    ]);
  });

  it("an opted-out author's post that another run drafted meanwhile is not skipped again nor logged", async () => {
    const tweetId = await addPost("@replyguy hello");
    // The opt-out check is the moment another run drafts the post.
    class RacingWatchlist extends Watchlist {
      override async isOptedOut(): Promise<boolean> {
        await db().update(posts).set({ state: "drafted" }).where(eq(posts.tweetId, tweetId));
        return true;
      }
    }
    const { logger, lines } = capturingLogger();
    expect(await draft(scriptedDrafter(() => "Hello.").drafter, { watchlist: new RacingWatchlist(db()), logger })).toEqual([]);
    expect(await skippedEvents()).toEqual([]);
    expect(lines.filter((line) => line.includes("opted out"))).toEqual([]);
  });

  it("a post skipped while its draft was on the way gets no reply", async () => {
    const tweetId = await addPost("@replyguy hello");
    const { drafter } = scriptedDrafter(async () => {
      await db().update(posts).set({ state: "skipped", skipReason: "opted_out" }).where(eq(posts.tweetId, tweetId));
      return "Hello there.";
    });
    expect(await draft(drafter)).toEqual([]);
    expect(await repliesTo(tweetId)).toEqual([]);
    expect(await post(tweetId)).toMatchObject({ state: "skipped", skipReason: "opted_out" });
  });

  it("a draft still too long is given up with its length and the shorten requests in the reason", async () => {
    const tweetId = await addPost("@replyguy tell me everything");
    const long: DraftOutcome = { text: "x".repeat(300), weightedLength: 300, tooLong: true, model: "scripted", shortenAttempts: 2 };
    await draft(scriptedDrafter(() => long).drafter, { maxAttempts: 1 });
    expect(notices).toEqual([
      { kind: "draft_failed", tweetId, attempts: 1, skipReason: "draft_too_long", reason: "draft still 300 weighted characters after 2 shorten requests" },
    ]);
  });

  it("a post the AI fails on while it answers the others fails on its own, saying so", async () => {
    await addPost("@replyguy a fine question");
    const poison = await addPost("@replyguy poison pill");
    const { drafter } = scriptedDrafter((post) => (post.text.includes("poison") ? outage() : "Fine."));
    expect(await draft(drafter, { maxAttempts: 1 })).toHaveLength(1);
    expect(notices).toEqual([
      {
        kind: "draft_failed",
        tweetId: poison,
        attempts: 1,
        skipReason: "draft_error",
        reason: "the AI provider timed out (the AI answered other posts meanwhile)",
      },
    ]);
    expect(await post(poison)).toMatchObject({ state: "skipped", skipReason: "draft_error" });
  });

  it("an outage, its end and a post given up need no notice sink", async () => {
    const first = await addPost("@replyguy first");
    let down = true;
    const { drafter } = scriptedDrafter((post) => (down ? outage() : post.text.includes("second") ? new Error("local failure") : "Fine."));
    expect(await draft(drafter, { notify: false })).toEqual([]);
    down = false;
    const second = await addPost("@replyguy second");
    expect(await draft(drafter, { notify: false, maxAttempts: 1 })).toHaveLength(1);
    expect(await post(first)).toMatchObject({ state: "drafted" });
    expect(await post(second)).toMatchObject({ state: "skipped", skipReason: "draft_error" });
    expect(notices).toEqual([]);
  });

  it("the gatekeeper passes a post scored exactly the minimum, and stores at most 500 characters of its reason", async () => {
    const settings = new SettingsStore(db(), WORKFLOW_TEST_DEFAULTS);
    expect(await settings.set("gatekeeper", "on", ADMIN)).toMatchObject({ ok: true });
    expect(await settings.set("gatekeeper_min_score", "0.5", ADMIN)).toMatchObject({ ok: true });
    const tweetId = await addPost("@replyguy borderline");
    const { drafter } = scriptedDrafter(
      () => "Fine.",
      () => ({ score: 0.5, reason: "r".repeat(600), model: "scripted" }),
    );
    expect(await draft(drafter, { settings })).toHaveLength(1);
    const row = await post(tweetId);
    expect(row).toMatchObject({ state: "drafted", gateReason: "r".repeat(500) });
  });

  it("writes each step about a post as a log line with the post's id as its trace", async () => {
    const settings = new SettingsStore(db(), WORKFLOW_TEST_DEFAULTS);
    expect(await settings.set("gatekeeper", "on", ADMIN)).toMatchObject({ ok: true });
    const watchlist = new Watchlist(db());
    await watchlist.optOut("bob", ADMIN);
    const { logger, lines } = capturingLogger();
    // First pass: the AI is down before it answered anything, so the pass waits for it.
    let aiDown = true;
    const { drafter } = scriptedDrafter(
      (post) => (aiDown ? outage() : post.text.includes("fails") ? new Error("local failure") : "Fine."),
      (post) => ({ score: post.text.includes("boring") ? 0.1 : 0.9, reason: "scored", model: "scripted" }),
    );
    const stalled = await addPost("@replyguy the AI is gone", { authorId: "900007", authorUsername: "frank" });
    await draft(drafter, { settings, watchlist, logger });
    aiDown = false;
    const optedOut = await addPost("@replyguy from bob", { authorId: "900003", authorUsername: "bob" });
    const drafted = await addPost("@replyguy a good one");
    const boring = await addPost("@replyguy boring");
    const retried = await addPost("@replyguy fails once", { authorId: "900004", authorUsername: "carol" });
    const givenUp = await addPost("@replyguy fails for good", { authorId: "900005", authorUsername: "dave", draftAttempts: 2 });
    const capped = [];
    for (let i = 0; i < 4; i++) capped.push(await addPost(`@replyguy capped ${i}`, { authorId: "900006", authorUsername: "erin" }));
    await draft(drafter, { settings, watchlist, logger });
    const logged = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const about = (tweetId: string) => logged.filter((line) => line.trace === tweetId);

    expect(about(optedOut)).toEqual([expect.objectContaining({ msg: "post skipped: the author opted out", tweetId: optedOut })]);
    const [reply] = await repliesTo(drafted);
    expect(about(drafted)).toEqual([expect.objectContaining({ msg: "reply drafted", replyId: reply!.id, model: "scripted" })]);
    expect(about(boring)).toEqual([expect.objectContaining({ msg: "post skipped by the gatekeeper", tweetId: boring })]);
    expect(about(retried)).toEqual([expect.objectContaining({ msg: "drafting failed; will retry", tweetId: retried, attempts: 1, reason: "local failure" })]);
    expect(about(givenUp)).toEqual([expect.objectContaining({ msg: "drafting gave up; post skipped", tweetId: givenUp, attempts: 3, reason: "local failure" })]);
    expect(about(capped[3]!)).toEqual([expect.objectContaining({ msg: "post skipped: drafting cap reached", tweetId: capped[3], author: "900006", cap: "author_cap" })]);
    expect(about(stalled)).toEqual([
      expect.objectContaining({ msg: "AI unavailable; drafting waits for it", tweetId: stalled, reason: "the AI provider timed out" }),
      expect.objectContaining({ msg: "reply drafted" }),
    ]);
  });
});
