/**
 * Property: whatever the AI provider answers — any JSON at any status, choices of any shape, junk retry headers —
 * the drafter resolves with a checked draft or gate decision, or rejects with a classified AiError.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOpenAiDrafter } from "../../src/ai/drafter.js";
import { AiError } from "../../src/ai/errors.js";
import { stripInvisible } from "../../src/text/invisible.js";
import { weightedLength } from "../../src/text/weighted-length.js";
import { startFakeOpenAI, type FakeOpenAI } from "../support/fake-openai.js";

const almost = fc.oneof(fc.string({ maxLength: 30 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.constant({}), fc.constant([]));
const content = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.constantFrom('{"score": 0.7, "reason": "ok"}', '{"score": "2"}', "```json\n{\"score\":-1}\n```", "@bob see evil.com", "\u200B\u202E", "\u0000"),
  almost,
);
const message = fc.record({ role: fc.oneof(fc.constant("assistant"), almost), content, refusal: fc.oneof(fc.constant(null), almost) }, { requiredKeys: [] });
const choice = fc.record(
  { index: almost, message: fc.oneof(message, almost), finish_reason: fc.oneof(fc.constantFrom("stop", "length", "content_filter"), almost) },
  { requiredKeys: [] },
);
const completion = fc.record(
  { id: almost, object: almost, model: almost, choices: fc.oneof(fc.array(fc.oneof(choice, almost), { maxLength: 2 }), almost), usage: almost },
  { requiredKeys: [] },
);
const answer = fc.record({
  status: fc.constantFrom(200, 200, 200, 400, 401, 404, 408, 429, 500, 503),
  body: fc.oneof(completion, fc.jsonValue({ maxDepth: 3 }), fc.constantFrom("not json", "")),
  headers: fc.record({ "retry-after": fc.oneof(fc.nat().map(String), fc.string({ maxLength: 8 })), "retry-after-ms": fc.string({ maxLength: 8 }) }, { requiredKeys: [] }),
});

describe("OpenAI payloads (property)", () => {
  let fake: FakeOpenAI;

  beforeAll(async () => {
    fake = await startFakeOpenAI();
  });
  afterAll(async () => {
    await fake.close();
  });

  it("draft and gate resolve with checked values or reject with an AiError of a known kind", async () => {
    const drafter = createOpenAiDrafter({ baseUrl: fake.baseUrl, apiKey: "sk-test-property-0123456789", model: "m", fallbackModels: ["f"], requestTimeoutMs: 2_000, maxShortenAttempts: 1 });
    const post = { text: "Is TypeScript worth it?", authorUsername: "alice", source: "mention" as const };
    await fc.assert(
      fc.asyncProperty(fc.array(answer, { minLength: 4, maxLength: 4 }), fc.boolean(), async (answers, gate) => {
        fake.reset();
        const queue = [...answers];
        fake.setResponder(() => {
          const next = queue.shift() ?? answers[0]!;
          return { status: next.status, body: next.body, headers: next.headers };
        });
        try {
          if (gate) {
            const decision = await drafter.gate(post, ["typescript"]);
            expect(decision.score).toBeGreaterThanOrEqual(0);
            expect(decision.score).toBeLessThanOrEqual(1);
            expect(typeof decision.reason).toBe("string");
          } else {
            const outcome = await drafter.draft(post, "persona text");
            expect(outcome.text.length).toBeGreaterThan(0);
            expect(outcome.text).toBe(stripInvisible(outcome.text));
            expect(outcome.weightedLength).toBe(weightedLength(outcome.text));
          }
        } catch (error) {
          expect(error).toBeInstanceOf(AiError);
          expect(["transient", "rate_limited", "permanent", "bad_response"]).toContain((error as AiError).kind);
          expect((error as AiError).message).not.toContain("sk-test-property");
          // An answer the API gave with 200 is unusable, not a reason to stop drafting as if the request were wrong.
          if (answers.every((a) => a.status === 200)) expect((error as AiError).kind).toBe("bad_response");
        }
      }),
      { numRuns: 60 },
    );
  });
});
