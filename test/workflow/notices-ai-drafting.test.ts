/**
 * What the drafting notices rest on: how a failed draft attempt is classified (an AI outage, which makes the
 * ai_outage notice, or this post's failure, which makes draft_failed with its skip reason), and the outage record
 * in `app_state` that lets exactly one run announce an outage's start and one its end.
 */
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { AiError } from "../../src/ai/errors.js";
import { appState } from "../../src/db/schema.js";
import { AI_OUTAGE_KEY, endAiOutage, isAiOutage, startAiOutage } from "../../src/workflow/ai-outage.js";
import { classifyDraftFailure } from "../../src/workflow/draft-failure.js";
import { databaseTargets, useTestDatabase } from "../support/database.js";
import { clearWorkflowTables } from "../support/workflow-fixtures.js";

describe("a failed draft attempt, classified", () => {
  it("anything but an AiError is this post's local error, with its message", () => {
    expect(classifyDraftFailure(new TypeError("boom"))).toEqual({ kind: "post", skipReason: "draft_error", reason: "boom" });
    expect(classifyDraftFailure("plain string")).toEqual({ kind: "post", skipReason: "draft_error", reason: "plain string" });
  });

  it("a provider that does not answer, limits us or fails on its side is an outage: the post waits", () => {
    for (const error of [
      new AiError("transient", "network down"),
      new AiError("rate_limited", "429", { status: 429 }),
      new AiError("permanent", "503 from the provider", { status: 503 }),
    ]) {
      expect(classifyDraftFailure(error)).toEqual({ kind: "outage", reason: error.message });
    }
  });

  it("each problem with an answer that came back has its own skip reason", () => {
    const cases = {
      empty: "draft_empty",
      refused: "draft_refused",
      content_filter: "draft_content_filter",
      unparseable: "draft_unusable",
      new_link: "draft_new_link",
      new_mention: "draft_new_mention",
    } as const;
    for (const [answerProblem, skipReason] of Object.entries(cases)) {
      const error = new AiError("bad_response", `answer: ${answerProblem}`, { answerProblem: answerProblem as keyof typeof cases });
      expect(classifyDraftFailure(error)).toEqual({ kind: "post", skipReason, reason: `answer: ${answerProblem}` });
    }
    // A 400 from the content filter names its problem too, even with a status.
    const filtered = new AiError("permanent", "filtered", { status: 400, answerProblem: "content_filter" });
    expect(classifyDraftFailure(filtered)).toEqual({ kind: "post", skipReason: "draft_content_filter", reason: "filtered" });
  });

  it("an unusable answer without a named problem is unusable; a refused request is rejected; a local one an error", () => {
    expect(classifyDraftFailure(new AiError("bad_response", "not JSON"))).toEqual({ kind: "post", skipReason: "draft_unusable", reason: "not JSON" });
    expect(classifyDraftFailure(new AiError("permanent", "bad request", { status: 400 }))).toEqual({
      kind: "post",
      skipReason: "draft_rejected",
      reason: "bad request",
    });
    expect(classifyDraftFailure(new AiError("permanent", "local bug"))).toEqual({ kind: "post", skipReason: "draft_error", reason: "local bug" });
  });
});

describe.each(databaseTargets())("the AI outage record ($name)", (target) => {
  const db = useTestDatabase(target, clearWorkflowTables);
  const SINCE = new Date("2026-03-01T12:00:00Z");

  it("only the first start tells, and only the first end tells, with the start's time", async () => {
    expect(await isAiOutage(db())).toBe(false);
    expect(await endAiOutage(db())).toBeUndefined();
    expect(await startAiOutage(db(), SINCE)).toBe(true);
    expect(await startAiOutage(db(), new Date(SINCE.getTime() + 60_000))).toBe(false);
    expect(await isAiOutage(db())).toBe(true);
    expect(await endAiOutage(db())).toEqual(SINCE);
    expect(await endAiOutage(db())).toBeUndefined();
    expect(await isAiOutage(db())).toBe(false);
  });

  it("an outage whose start cannot be read still ends, dated at the epoch", async () => {
    await db().insert(appState).values({ key: AI_OUTAGE_KEY, value: { since: "not a date" } });
    expect(await endAiOutage(db())).toEqual(new Date(0));
    await db().insert(appState).values({ key: AI_OUTAGE_KEY, value: { since: 42 } });
    expect(await endAiOutage(db())).toEqual(new Date(0));
    expect(await db().select().from(appState).where(eq(appState.key, AI_OUTAGE_KEY))).toEqual([]);
  });

  it("another key in app_state is not an outage", async () => {
    await db().insert(appState).values({ key: "something_else", value: {} });
    expect(await isAiOutage(db())).toBe(false);
    expect(await endAiOutage(db())).toBeUndefined();
  });
});
