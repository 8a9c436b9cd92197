/** The alerts made from workflow notices, breaker changes and exhausted dead letters. */
import { describe, expect, it } from "vitest";
import { alertFromBreaker, alertFromDeadLetter, alertFromNotice } from "../../src/alerts/sources.js";
import { isAtLeast } from "../../src/alerts/types.js";

describe("alert sources", () => {
  it("maps each workflow notice to its alert type, with a key that folds repeats", () => {
    const until = new Date("2025-07-01T12:15:00Z");
    expect(alertFromNotice({ kind: "rate_limited", account: "main", until }, "Europe/Berlin")).toMatchObject({
      type: "rate_limit_exceeded",
      level: "warning",
      key: "x:main",
      message: expect.stringContaining("2025-07-01 14:15:00 (Europe/Berlin)") as unknown,
    });
    const failed = alertFromNotice({ kind: "session_failed", account: "main", reason: "X GET /2/users/me failed: HTTP 401: Unauthorized" }, "UTC");
    expect(failed).toMatchObject({ type: "session_failed", level: "critical", key: "main", details: { reason: "X GET /2/users/me failed: HTTP 401: Unauthorized" } });
    expect(failed.message).toContain("HTTP 401");
    expect(alertFromNotice({ kind: "session_recovered", account: "main" }, "UTC")).toMatchObject({ type: "session_recovered", key: "main" });
    expect(
      alertFromNotice({ kind: "publication_failed", replyId: 7, reason: "X answered 503", retryable: true }, "UTC"),
    ).toMatchObject({ type: "publication_failed", level: "error", key: "reply:7", details: { reason: "X answered 503", retryable: true } });
    expect(alertFromNotice({ kind: "draft_failed", tweetId: "99", reason: "AI down", attempts: 3 }, "UTC")).toMatchObject({
      type: "tweet_processing_failed",
      key: "tweet:99",
    });
  });

  it("the boot verification is one report: restored / failed with reasons / time taken; critical when one failed", () => {
    const mixed = alertFromNotice(
      { kind: "sessions_verified", restored: ["main"], failed: [{ account: "second", reason: "X GET /2/users/me failed: 401 Unauthorized" }], tookMs: 1234 },
      "UTC",
    );
    expect(mixed).toMatchObject({
      type: "sessions_verified",
      level: "critical",
      key: "restored:main;failed:second",
      details: { restored: 1, failed: 1, took_ms: 1234 },
    });
    expect(mixed.message).toBe(
      "X sessions checked at boot in 1.2 s: restored 1 (main) / failed 1 (second: X GET /2/users/me failed: 401 Unauthorized). " +
        "Failed accounts publish nothing until X accepts them again (checked every health interval).",
    );
    const clean = alertFromNotice({ kind: "sessions_verified", restored: ["main", "b"], failed: [], tookMs: 80 }, "UTC");
    expect(clean).toMatchObject({ level: "warning", message: "X sessions checked at boot in 0.1 s: restored 2 (main, b) / failed 0." });
  });

  it("a refused card is an error-level card_failed alert keyed by its reply, with Telegram's reason", () => {
    expect(alertFromNotice({ kind: "card_failed", replyId: 7, reason: "Telegram 400: Bad Request: message is too long" }, "UTC")).toMatchObject({
      type: "card_failed",
      level: "error",
      key: "reply:7",
      message: expect.stringContaining("reply #7") as unknown,
      details: { reply: 7, reason: "Telegram 400: Bad Request: message is too long" },
    });
  });

  it("raises open and closed breakers (closed passes the default minimum level), nothing for half-open", () => {
    const open = alertFromBreaker({ name: "x:main", kind: "x", state: "open" });
    const closed = alertFromBreaker({ name: "x:main", kind: "x", state: "closed" });
    expect(open).toMatchObject({ type: "circuit_breaker_open", key: "x:main" });
    expect(closed).toMatchObject({ type: "circuit_breaker_closed", key: "x:main" });
    expect(isAtLeast(closed!.level, "warning")).toBe(true);
    expect(alertFromBreaker({ name: "x:main", kind: "x", state: "half_open" })).toBeUndefined();
  });

  it("one alert for an AI outage with the posts waiting, one for its end with the drafts made", () => {
    const outage = alertFromNotice({ kind: "ai_outage", waiting: 7, reason: "AI API 503 for model gpt-4o-mini" }, "UTC");
    expect(outage).toMatchObject({ type: "ai_outage", level: "error", details: { waiting: 7 } });
    expect(outage.message).toContain("7 posts waiting");
    const back = alertFromNotice({ kind: "ai_recovered", since: new Date("2025-07-01T12:00:00Z"), drafted: 4, waiting: 3 }, "Europe/Berlin");
    expect(back).toMatchObject({ type: "ai_recovered", details: { drafted: 4, waiting: 3 } });
    expect(back.message).toMatch(/^AI back \(down since 2025-07-01 14:00:00 \(Europe\/Berlin\)\): 4 drafts made, 3 still waiting\.$/);
    expect(isAtLeast(back.level, "warning")).toBe(true);
    const gaveUp = alertFromNotice({ kind: "draft_failed", tweetId: "99", reason: "refused", attempts: 3, skipReason: "draft_refused" }, "UTC");
    expect(gaveUp.message).toContain("skipped (draft_refused)");
  });

  it("raises nothing for the AI models' breakers: the drafting outage alert covers the provider", () => {
    for (const state of ["open", "closed"] as const) {
      expect(alertFromBreaker({ name: "ai:gpt-4o-mini", kind: "ai", state })).toBeUndefined();
    }
  });

  it("describes an exhausted dead letter", () => {
    const alert = alertFromDeadLetter({
      id: 3,
      replyId: 12,
      accountId: 1,
      error: "X answered 503",
      errorType: "server_error",
      retryable: true,
      status: "exhausted",
      retryCount: 5,
      nextRetryAt: null,
      createdAt: new Date(),
      updatedAt: new Date(),
    });
    expect(alert).toMatchObject({ type: "dlq_exhausted", level: "error", key: "reply:12", details: { dead_letter: 3, retries: 5 } });
    expect(alert.message).toContain("after 5 retries");
  });
});
