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

describe("alert sources, each alert in full (what the admin reads, and what dedup folds on)", () => {
  it("a rate limit, keyed like the account's breaker, until when in the bot's time zone", () => {
    const until = new Date("2025-07-01T12:15:00Z");
    expect(alertFromNotice({ kind: "rate_limited", account: "second", until }, "Europe/Berlin")).toStrictEqual({
      type: "rate_limit_exceeded",
      level: "warning",
      key: "x:second",
      message: "X rate-limited account second: nothing goes out from it until 2025-07-01 14:15:00 (Europe/Berlin).",
      details: { account: "second", until: "2025-07-01T12:15:00.000Z" },
    });
  });

  it("a failed and a recovered session say what happens to the account's replies", () => {
    expect(alertFromNotice({ kind: "session_failed", account: "second", reason: "HTTP 401" }, "UTC")).toStrictEqual({
      type: "session_failed",
      level: "critical",
      key: "second",
      message:
        "X account second failed and left the pool: HTTP 401. Its free replies go out from the other accounts; those bound " +
        "to it wait. It is checked again every health interval and rejoins when X answers.",
      details: { account: "second", reason: "HTTP 401" },
    });
    expect(alertFromNotice({ kind: "session_recovered", account: "second" }, "UTC")).toStrictEqual({
      type: "session_recovered",
      level: "warning",
      key: "second",
      message: "X account second answers again: it is back in the pool and takes new work.",
      details: { account: "second" },
    });
  });

  it("a boot that restored nothing and lost every account lists the failures, separated, with no empty parentheses", () => {
    const report = alertFromNotice(
      { kind: "sessions_verified", restored: [], failed: [{ account: "a", reason: "401" }, { account: "b", reason: "403" }], tookMs: 2_049 },
      "UTC",
    );
    expect(report).toStrictEqual({
      type: "sessions_verified",
      level: "critical",
      key: "restored:;failed:a,b",
      message:
        "X sessions checked at boot in 2.0 s: restored 0 / failed 2 (a: 401; b: 403). " +
        "Failed accounts publish nothing until X accepts them again (checked every health interval).",
      details: { restored: 0, failed: 2, took_ms: 2_049 },
    });
    expect(alertFromNotice({ kind: "sessions_verified", restored: ["a", "b"], failed: [], tookMs: 0 }, "UTC").key).toBe("restored:a,b;failed:");
  });

  it("a failed publish says whether it will be retried", () => {
    expect(alertFromNotice({ kind: "publication_failed", replyId: 7, reason: "X answered 503", retryable: true }, "UTC")).toStrictEqual({
      type: "publication_failed",
      level: "error",
      key: "reply:7",
      message: "Reply #7 could not be published (it will be retried).",
      details: { reply: 7, reason: "X answered 503", retryable: true },
    });
    expect(alertFromNotice({ kind: "publication_failed", replyId: 8, reason: "403", retryable: false }, "UTC").message).toBe(
      "Reply #8 could not be published.",
    );
  });

  it("a post given up names the attempts, and its skip reason only when there is one", () => {
    expect(alertFromNotice({ kind: "draft_failed", tweetId: "99", reason: "AI down", attempts: 3 }, "UTC")).toStrictEqual({
      type: "tweet_processing_failed",
      level: "warning",
      key: "tweet:99",
      message: "No draft could be written for post 99 after 3 attempts: skipped.",
      details: { tweet: "99", reason: "AI down", attempts: 3, skip_reason: undefined },
    });
    expect(
      alertFromNotice({ kind: "draft_failed", tweetId: "98", reason: "refused", attempts: 2, skipReason: "draft_refused" }, "UTC").message,
    ).toBe("No draft could be written for post 98 after 2 attempts: skipped (draft_refused).");
  });

  it("the AI outage and its end count posts and drafts in the singular too, and are not keyed (one provider)", () => {
    expect(alertFromNotice({ kind: "ai_outage", waiting: 1, reason: "AI API 503" }, "UTC")).toStrictEqual({
      type: "ai_outage",
      level: "error",
      message: "The AI provider is not answering: drafting waits, 1 post waiting.",
      details: { waiting: 1, reason: "AI API 503" },
    });
    expect(
      alertFromNotice({ kind: "ai_recovered", since: new Date("2025-07-01T12:00:00Z"), drafted: 1, waiting: 0 }, "UTC"),
    ).toStrictEqual({
      type: "ai_recovered",
      level: "warning",
      message: "AI back (down since 2025-07-01 12:00:00 (UTC)): 1 draft made, 0 still waiting.",
      details: { drafted: 1, waiting: 0, since: "2025-07-01T12:00:00.000Z" },
    });
  });

  it("a refused card tells where it is listed and when it is tried again", () => {
    expect(alertFromNotice({ kind: "card_failed", replyId: 7, reason: "too long" }, "UTC")).toStrictEqual({
      type: "card_failed",
      level: "error",
      key: "reply:7",
      message:
        "Telegram refused the card of reply #7; the cards after it went out. It is tried again when the reply changes; /queue lists it.",
      details: { reply: 7, reason: "too long" },
    });
  });

  it("a breaker opened or isolated is an error naming the breaker and its dependency; its closing says it answers again", () => {
    for (const state of ["open", "isolated"] as const) {
      expect(alertFromBreaker({ name: "db", kind: "db", state })).toStrictEqual({
        type: "circuit_breaker_open",
        level: "error",
        key: "db",
        message: "Circuit breaker db opened: calls to it are paused and retried later.",
        details: { breaker: "db", dependency: "db", state },
      });
    }
    expect(alertFromBreaker({ name: "x:main", kind: "x", state: "closed" })).toStrictEqual({
      type: "circuit_breaker_closed",
      level: "warning",
      key: "x:main",
      message: "Circuit breaker x:main closed: x:main answers again.",
      details: { breaker: "x:main", dependency: "x" },
    });
  });

  it("an exhausted dead letter after one retry, in full", () => {
    const at = new Date("2025-07-01T12:00:00Z");
    const letter = {
      id: 4,
      replyId: 13,
      accountId: 1,
      error: "X answered 503",
      errorType: "server_error",
      retryable: true,
      status: "exhausted",
      retryCount: 1,
      nextRetryAt: null,
      createdAt: at,
      updatedAt: at,
    } as const;
    expect(alertFromDeadLetter(letter)).toStrictEqual({
      type: "dlq_exhausted",
      level: "error",
      key: "reply:13",
      message: "Gave up publishing reply #13 after 1 retry: retry or discard it with /dlq.",
      details: { dead_letter: 4, reply: 13, error: "X answered 503", error_type: "server_error", retries: 1 },
    });
  });
});
