import { EventEmitter } from "node:events";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createOpenAiDrafter } from "../../src/ai/drafter.js";
import type { Drafter, PostForDraft } from "../../src/ai/drafter.js";
import { AiError } from "../../src/ai/errors.js";
import { createAiGuard } from "../../src/resilience/ai-guard.js";
import { ResilienceRegistry } from "../../src/resilience/registry.js";
import { weightedLength } from "../../src/text/weighted-length.js";
import { silentLogger } from "../support/logger.js";
import { messageText, startFakeOpenAI } from "../support/fake-openai.js";
import type { FakeOpenAI } from "../support/fake-openai.js";

const API_KEY = "sk-test-drafter-secret-0123456789";
const POST: PostForDraft = { text: "Is TypeScript worth it for small bots?", authorUsername: "alice", source: "mention" };
const PERSONA = "You are Reply Guy, a cheerful TypeScript nerd.";

async function rejection(promise: Promise<unknown>): Promise<AiError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(AiError);
    return error as AiError;
  }
  throw new Error("expected the promise to reject");
}

describe("createOpenAiDrafter against the fake OpenAI", () => {
  let fake: FakeOpenAI;
  const make = (extra: Partial<Parameters<typeof createOpenAiDrafter>[0]> = {}): Drafter =>
    createOpenAiDrafter({ baseUrl: fake.baseUrl, apiKey: API_KEY, model: "gpt-4o-mini", requestTimeoutMs: 2_000, ...extra });
  const chat = () => fake.chatRequests();
  const text = (i: number, role: string) => {
    const message = chat()[i]?.messages?.find((m) => m.role === role);
    return message ? messageText(message) : "";
  };

  beforeAll(async () => {
    fake = await startFakeOpenAI();
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => {
    fake.reset();
  });

  describe("draft", () => {
    it("returns the cleaned reply and the model; persona in system, post in user message", async () => {
      fake.enqueueReply('  Reply: "@alice Absolutely — types catch the bugs before your users do."  ');
      const outcome = await make().draft(POST, PERSONA);
      expect(outcome).toEqual({
        text: "Absolutely — types catch the bugs before your users do.",
        weightedLength: weightedLength("Absolutely — types catch the bugs before your users do."),
        tooLong: false,
        model: "gpt-4o-mini",
        shortenAttempts: 0,
      });
      expect(chat()).toHaveLength(1);
      expect(chat()[0]).toMatchObject({ model: "gpt-4o-mini", hasBearer: true });
      expect(text(0, "system")).toContain(PERSONA);
      expect(text(0, "system")).toContain("280");
      expect(text(0, "user")).toContain(POST.text);
      expect(text(0, "user")).toContain("@alice");
      expect(JSON.stringify(fake.requests())).not.toContain(API_KEY);
    });

    it("works with the fake's default reply and an unknown author", async () => {
      const outcome = await make().draft({ text: "hello there", authorUsername: undefined, source: "search" }, "");
      expect(outcome.text).toMatch(/^Reply #1: /);
      expect(outcome.tooLong).toBe(false);
    });

    it("asks to shorten an over-long draft, naming 280 and the actual length", async () => {
      const long = `${"word ".repeat(70).trim()} https://example.com/${"x".repeat(50)}`;
      const longLength = weightedLength(long);
      expect(longLength).toBeGreaterThan(280);
      fake.enqueueReply(long);
      fake.enqueueReply("Short and sweet.");
      const outcome = await make({ replyGuard: { allowNewLinks: true, allowNewMentions: false } }).draft(POST, PERSONA);
      expect(outcome).toMatchObject({ text: "Short and sweet.", tooLong: false, shortenAttempts: 1, weightedLength: 16 });
      expect(chat()).toHaveLength(2);
      const follow = chat()[1]?.messages ?? [];
      expect(follow.map((m) => m.role)).toEqual(["system", "user", "assistant", "user"]);
      expect(messageText(follow[2]!)).toBe(long);
      const ask = messageText(follow[3]!);
      expect(ask).toContain("280");
      expect(ask).toContain(String(longLength));
    });

    it("gives up after maxShortenAttempts and returns the untruncated text with tooLong", async () => {
      const long = "This reply is far too long. ".repeat(12).trim();
      fake.setResponder(() => long);
      const outcome = await make({ maxShortenAttempts: 3 }).draft(POST, PERSONA);
      expect(outcome).toEqual({ text: long, weightedLength: long.length, tooLong: true, model: "gpt-4o-mini", shortenAttempts: 3 });
      expect(chat()).toHaveLength(4);
      expect(chat().slice(1).map((r) => r.messages?.length)).toEqual([4, 6, 8]);
    });

    it("keeps the shortest draft when a shortening comes back longer", async () => {
      const longer = "x ".repeat(200).trim(); // 399
      const long = "y ".repeat(150).trim(); // 299
      fake.enqueueReply(long);
      fake.enqueueReply(longer);
      const outcome = await make({ maxShortenAttempts: 1 }).draft(POST, PERSONA);
      expect(outcome).toMatchObject({ text: long, weightedLength: 299, tooLong: true, shortenAttempts: 1 });
    });

    it("does not shorten when maxShortenAttempts is 0", async () => {
      fake.enqueueReply("z".repeat(300));
      const outcome = await make({ maxShortenAttempts: 0 }).draft(POST, PERSONA);
      expect(outcome).toMatchObject({ tooLong: true, shortenAttempts: 0, weightedLength: 300 });
      expect(chat()).toHaveLength(1);
    });

    it("judges length by X's weighting: URLs count 23, emoji 2", async () => {
      const withUrl = `Read this: https://example.com/${"a".repeat(300)} 🙂`;
      expect(withUrl.length).toBeGreaterThan(280);
      fake.enqueueReply(withUrl);
      // The link was in the post, so the reply may repeat it.
      const outcome = await make().draft({ ...POST, text: `${POST.text} https://example.com/${"a".repeat(300)}` }, PERSONA);
      expect(outcome).toMatchObject({ text: withUrl, weightedLength: 11 + 23 + 1 + 2, tooLong: false, shortenAttempts: 0 });

      fake.reset();
      const emoji = "🙂".repeat(141); // 141 code points of weight 2 = 282
      fake.enqueueReply(emoji);
      fake.enqueueReply("🙂".repeat(140));
      const shortened = await make().draft(POST, PERSONA);
      expect(shortened).toMatchObject({ weightedLength: 280, tooLong: false, shortenAttempts: 1 });
      expect(messageText(chat()[1]!.messages!.at(-1)!)).toContain("282");
    });

    it("throws bad_response for an empty reply after cleaning", async () => {
      fake.enqueueReply('"@alice"');
      const error = await rejection(make().draft(POST, PERSONA));
      expect(error.kind).toBe("bad_response");
      expect(chat()).toHaveLength(1);
    });
  });

  describe("fallback models and errors (one request per model: no SDK retries)", () => {
    it("primary 503 → the fallback answers and is recorded", async () => {
      fake.enqueueFault({ status: 503 });
      const outcome = await make({ fallbackModels: ["gpt-4o"] }).draft(POST, PERSONA);
      expect(outcome.model).toBe("gpt-4o");
      expect(chat().map((r) => [r.model, r.status])).toEqual([
        ["gpt-4o-mini", 503],
        ["gpt-4o", 200],
      ]);
    });

    it("shortening continues on the model that answered", async () => {
      fake.enqueueFault({ status: 500 });
      fake.setResponder((req, { n }) => (n === 1 ? "q".repeat(300) : `short from ${req.model}`));
      const outcome = await make({ fallbackModels: ["gpt-4o"] }).draft(POST, PERSONA);
      expect(outcome).toMatchObject({ text: "short from gpt-4o", model: "gpt-4o", shortenAttempts: 1 });
      expect(chat().map((r) => r.model)).toEqual(["gpt-4o-mini", "gpt-4o", "gpt-4o"]);
    });

    it("404 model_not_found → the next model is tried", async () => {
      fake.enqueueFault({ status: 404 });
      const outcome = await make({ fallbackModels: ["gpt-4o", "gpt-4.1"] }).draft(POST, PERSONA);
      expect(outcome.model).toBe("gpt-4o");
      expect(chat()).toHaveLength(2);
    });

    it.each([400, 401, 403])("%i is permanent and not tried on fallback models", async (status) => {
      fake.enqueueFault({ status });
      const error = await rejection(make({ fallbackModels: ["gpt-4o"] }).draft(POST, PERSONA));
      expect(error).toMatchObject({ kind: "permanent", status, model: "gpt-4o-mini" });
      expect(chat()).toHaveLength(1);
    });

    it("a 404 that is not about the model (wrong URL) is permanent without fallback", async () => {
      fake.enqueueFault({ status: 404, body: { error: { message: "Invalid URL (POST /v1/chat/completions)", type: "invalid_request_error", param: null, code: null } } });
      const error = await rejection(make({ fallbackModels: ["gpt-4o"] }).draft(POST, PERSONA));
      expect(error).toMatchObject({ kind: "permanent", status: 404, modelNotFound: false });
      expect(chat()).toHaveLength(1);
    });

    it("429 → rate_limited with retryAfterMs from the headers", async () => {
      fake.enqueueFault({ status: 429, headers: { "retry-after": "7" } });
      const error = await rejection(make().draft(POST, PERSONA));
      expect(error).toMatchObject({ kind: "rate_limited", status: 429, retryAfterMs: 7_000, code: "rate_limit_exceeded" });
      expect(chat()).toHaveLength(1);

      fake.reset();
      fake.enqueueFault({ status: 429, headers: { "retry-after-ms": "1500", "retry-after": "2" } });
      expect(await rejection(make().draft(POST, PERSONA))).toMatchObject({ retryAfterMs: 1_500 });
    });

    it("429 on every model → one request each, rate_limited", async () => {
      fake.enqueueFault({ status: 429, headers: { "retry-after": "3" } }, 3);
      const error = await rejection(make({ fallbackModels: ["gpt-4o", "gpt-4.1"] }).draft(POST, PERSONA));
      expect(error).toMatchObject({ kind: "rate_limited", retryAfterMs: 3_000, model: "gpt-4.1" });
      expect(error.message).toContain("all 3 models failed");
      expect(chat().map((r) => r.model)).toEqual(["gpt-4o-mini", "gpt-4o", "gpt-4.1"]);
    });

    it("429 insufficient_quota is permanent (waiting does not help)", async () => {
      fake.enqueueFault({ status: 429, body: { error: { message: "You exceeded your current quota.", type: "insufficient_quota", param: null, code: "insufficient_quota" } } });
      const error = await rejection(make({ fallbackModels: ["gpt-4o"] }).draft(POST, PERSONA));
      expect(error).toMatchObject({ kind: "permanent", status: 429, code: "insufficient_quota" });
      expect(chat()).toHaveLength(1);
    });

    it("a 5xx on every model → transient, exactly one request per model", async () => {
      fake.setDown(502);
      const error = await rejection(make({ fallbackModels: ["gpt-4o"] }).draft(POST, PERSONA));
      expect(error).toMatchObject({ kind: "transient", status: 502 });
      expect(chat().map((r) => r.model)).toEqual(["gpt-4o-mini", "gpt-4o"]);
    });

    it("primary 503 then fallback model missing → still transient (the chain may work later)", async () => {
      fake.enqueueFault({ status: 503 });
      fake.enqueueFault({ status: 404 });
      const error = await rejection(make({ fallbackModels: ["gpt-9"] }).draft(POST, PERSONA));
      expect(error).toMatchObject({ kind: "transient", status: 503, model: "gpt-4o-mini" });
      expect(chat()).toHaveLength(2);
    });

    it("timeout (answer slower than requestTimeoutMs) → transient; fallback answers", async () => {
      fake.enqueueFault({ delayMs: 400 });
      const started = Date.now();
      const error = await rejection(make({ requestTimeoutMs: 100 }).draft(POST, PERSONA));
      expect(error).toMatchObject({ kind: "transient", aborted: false });
      expect(error.message).toMatch(/timed out/);
      expect(Date.now() - started).toBeLessThan(350);
      expect(chat()).toHaveLength(1);

      fake.reset();
      fake.enqueueFault({ delayMs: 400 });
      const outcome = await make({ requestTimeoutMs: 100, fallbackModels: ["gpt-4o"] }).draft(POST, PERSONA);
      expect(outcome.model).toBe("gpt-4o");
      expect(chat()).toHaveLength(2);
    });

    it("a dropped connection → transient", async () => {
      fake.enqueueFault({ drop: true });
      const error = await rejection(make().draft(POST, PERSONA));
      expect(error.kind).toBe("transient");
      expect(error.message).toMatch(/unreachable/);
      expect(chat()).toHaveLength(1);
    });

    it("caller abort → transient + aborted, and no fallback is tried", async () => {
      fake.enqueueFault({ hang: true });
      const controller = new AbortController();
      const pending = rejection(make({ fallbackModels: ["gpt-4o"] }).draft(POST, PERSONA, controller.signal));
      await new Promise((r) => setTimeout(r, 30));
      controller.abort();
      const error = await pending;
      expect(error).toMatchObject({ kind: "transient", aborted: true });
      expect(chat()).toHaveLength(1);

      const already = await rejection(make().gate(POST, ["x"], AbortSignal.abort()));
      expect(already.aborted).toBe(true);
      expect(chat()).toHaveLength(1);
    });

    it("does not leave abort listeners on a long-lived caller signal", async () => {
      const controller = new AbortController();
      const drafter = make();
      for (let i = 0; i < 15; i++) await drafter.gate(POST, ["bots"], controller.signal);
      expect(EventEmitter.getEventListeners(controller.signal, "abort")).toHaveLength(0);
    });

    it("never puts the API key in an error message", async () => {
      fake.enqueueFault({ status: 401, body: { error: { message: `Incorrect API key provided: ${API_KEY}.`, type: "invalid_request_error", param: null, code: "invalid_api_key" } } });
      const error = await rejection(make().draft(POST, PERSONA));
      expect(error).toMatchObject({ kind: "permanent", status: 401, code: "invalid_api_key" });
      expect(error.message).toContain("Incorrect API key provided");
      expect(error.message).not.toContain(API_KEY);
      expect(JSON.stringify(error)).not.toContain(API_KEY);
      expect(error.cause).toBeUndefined();
    });
  });

  describe("gate", () => {
    it("sends a json_schema response_format and returns score/reason/model", async () => {
      fake.setResponder(() => JSON.stringify({ score: 0.83, reason: "On topic: TypeScript bots." }));
      const decision = await make().gate(POST, ["TypeScript", "Telegram bots"]);
      expect(decision).toEqual({ score: 0.83, reason: "On topic: TypeScript bots.", model: "gpt-4o-mini" });
      const body = chat()[0]?.body as { response_format?: { type?: string; json_schema?: { schema?: unknown } } };
      expect(body.response_format?.type).toBe("json_schema");
      expect(body.response_format?.json_schema?.schema).toMatchObject({ required: ["score", "reason"] });
      expect(text(0, "system")).toContain("- Telegram bots");
      expect(text(0, "user")).toContain(POST.text);
    });

    it("parses the fake's schema-driven default answer", async () => {
      const decision = await make().gate(POST, ["TypeScript"]);
      expect(decision.score).toBe(0);
      expect(decision.reason).toMatch(/^Reply #1/);
    });

    it("accepts JSON in a code fence and clamps the score", async () => {
      fake.enqueueReply('```json\n{"score": 1.7, "reason": "very relevant"}\n```');
      expect(await make().gate(POST, ["a"])).toMatchObject({ score: 1, reason: "very relevant" });
      fake.enqueueReply('Sure! {"score": -0.2, "reason": "spam"}');
      expect(await make().gate(POST, ["a"])).toMatchObject({ score: 0, reason: "spam" });
    });

    it("bad JSON → bad_response (and no fallback)", async () => {
      fake.enqueueReply("I think you should reply!");
      const error = await rejection(make({ fallbackModels: ["gpt-4o"] }).gate(POST, ["a"]));
      expect(error.kind).toBe("bad_response");
      fake.enqueueReply('{"score": "high", "reason": "x"}');
      expect((await rejection(make().gate(POST, ["a"]))).kind).toBe("bad_response");
      expect(chat()).toHaveLength(2);
    });

    it("uses the fallback model on 503", async () => {
      fake.enqueueFault({ status: 503 });
      fake.setResponder(() => '{"score":0.5,"reason":"meh"}');
      expect(await make({ fallbackModels: ["gpt-4o"] }).gate(POST, ["a"])).toEqual({ score: 0.5, reason: "meh", model: "gpt-4o" });
    });
  });

  describe("max_tokens", () => {
    const maxTokensOf = () => chat().map((request) => (request.body as { max_tokens?: unknown }).max_tokens);

    it("caps every request — draft, each shorten request, gate — at maxTokens (default 400)", async () => {
      const long = "This goes on and on and on. ".repeat(12);
      fake.setResponder(() => long);
      await make({ maxTokens: 123, maxShortenAttempts: 2 }).draft(POST, PERSONA);
      fake.setResponder(() => JSON.stringify({ score: 0.5, reason: "ok" }));
      await make({ maxTokens: 123 }).gate(POST, ["a"]);
      expect(maxTokensOf()).toEqual([123, 123, 123, 123]);

      fake.reset();
      await make().draft(POST, PERSONA);
      await make().gate(POST, ["a"]);
      expect(maxTokensOf()).toEqual([400, 400]);
    });

    it("also on every fallback model's request", async () => {
      fake.enqueueFault({ status: 503 });
      await make({ maxTokens: 77, fallbackModels: ["gpt-4o"] }).draft(POST, PERSONA);
      expect(chat().map((request) => request.model)).toEqual(["gpt-4o-mini", "gpt-4o"]);
      expect(maxTokensOf()).toEqual([77, 77]);
    });
  });

  describe("under the resilience guard", () => {
    it("hands the guard classified errors: a provider's 503s are retried and open the model's breaker", async () => {
      const settings = { timeoutMs: 2_000, retries: 1, baseDelayMs: 1, maxDelayMs: 1, breakerThreshold: 3, halfOpenAfterMs: 60_000 };
      const store = { loadAll: () => Promise.resolve(new Map()), save: () => Promise.resolve() };
      const registry = new ResilienceRegistry({ x: settings, ai: settings, db: settings }, store, silentLogger());
      const drafter = make({ guard: createAiGuard(registry) });
      fake.setDown(503);
      // Each draft: the request and one retry (transient). Three failures in a row open the breaker.
      expect(await rejection(drafter.draft(POST, PERSONA))).toMatchObject({ kind: "transient", status: 503 });
      expect(chat()).toHaveLength(2);
      expect(await rejection(drafter.draft(POST, PERSONA))).toMatchObject({ kind: "transient" });
      expect(registry.policy("ai:gpt-4o-mini", "ai").state).toBe("open");
      const resting = await rejection(drafter.draft(POST, PERSONA));
      expect(resting.message).toContain("circuit breaker is open");
      expect(chat()).toHaveLength(3);
    });
  });

  describe("what an unusable answer was", () => {
    it("tells empty, refused, filtered and unparseable answers apart", async () => {
      fake.enqueueReply("   ");
      expect((await rejection(make().draft(POST, PERSONA))).answerProblem).toBe("empty");
      fake.enqueueFault({
        status: 200,
        body: {
          id: "c",
          object: "chat.completion",
          created: 1,
          model: "gpt-4o-mini",
          choices: [{ index: 0, message: { role: "assistant", content: null, refusal: "No." }, finish_reason: "stop" }],
        },
      });
      expect((await rejection(make().draft(POST, PERSONA))).answerProblem).toBe("refused");
      fake.enqueueFault({
        status: 200,
        body: {
          id: "c",
          object: "chat.completion",
          created: 1,
          model: "gpt-4o-mini",
          choices: [{ index: 0, message: { role: "assistant", content: "" }, finish_reason: "content_filter" }],
        },
      });
      expect((await rejection(make().draft(POST, PERSONA))).answerProblem).toBe("content_filter");
      fake.enqueueReply("I think you should reply!");
      expect((await rejection(make().gate(POST, ["a"]))).answerProblem).toBe("unparseable");
    });
  });
});
