import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import OpenAI, {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  InternalServerError,
  RateLimitError,
} from "openai";
import { startFakeOpenAI } from "../support/fake-openai.js";
import type { FakeOpenAI } from "../support/fake-openai.js";

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the promise to reject");
}

describe("fake OpenAI with the openai SDK", () => {
  let fake: FakeOpenAI;
  let client: OpenAI;

  const ask = (content: string, extra: Partial<OpenAI.ChatCompletionCreateParamsNonStreaming> = {}) =>
    client.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [
        { role: "system", content: "You write replies." },
        { role: "user", content },
      ],
      ...extra,
    });

  beforeAll(async () => {
    fake = await startFakeOpenAI();
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => {
    fake.reset();
    client = new OpenAI({ apiKey: "sk-test-secret", baseURL: fake.baseUrl, maxRetries: 0, timeout: 2_000 });
  });

  it("answers a standard ChatCompletion with a deterministic default reply", async () => {
    const first = await ask("Draft a reply to @alice: #cats are great");
    expect(first.object).toBe("chat.completion");
    expect(first.model).toBe("gpt-4o-mini");
    expect(first.choices[0]?.message).toMatchObject({ role: "assistant", content: "Reply #1: Draft a reply to alice: cats" });
    expect(first.choices[0]?.finish_reason).toBe("stop");
    expect(first.usage?.total_tokens).toBeGreaterThan(0);
    const second = await ask("Something else");
    expect(second.choices[0]?.message.content).toBe("Reply #2: Something else");

    const [req] = fake.chatRequests();
    expect(req).toMatchObject({ model: "gpt-4o-mini", hasBearer: true, status: 200, reply: first.choices[0]?.message.content });
    expect(req?.messages?.[1]).toEqual({ role: "user", content: "Draft a reply to @alice: #cats are great" });
    expect(req?.headers.authorization).toBeUndefined();
    expect(JSON.stringify(fake.requests())).not.toContain("sk-test-secret");
  });

  it("serves queued replies first, then the custom responder", async () => {
    fake.enqueueReply("queued one");
    fake.setResponder((req, { n }) => `custom ${n} for ${req.model}`);
    expect((await ask("a")).choices[0]?.message.content).toBe("queued one");
    expect((await ask("b")).choices[0]?.message.content).toBe("custom 2 for gpt-4o-mini");
    fake.setResponder(() => ({ status: 429 }));
    const error = await rejection(ask("c"));
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error).toMatchObject({ status: 429, code: "rate_limit_exceeded", type: "requests" });
  });

  it("fills a json_schema response_format from the schema", async () => {
    const completion = await ask("Write two replies", {
      response_format: {
        type: "json_schema",
        json_schema: {
          name: "replies",
          strict: true,
          schema: {
            type: "object",
            properties: {
              replies: { type: "array", items: { type: "string" }, minItems: 2 },
              confidence: { type: "number" },
              note: { anyOf: [{ type: "string" }, { type: "null" }] },
            },
            required: ["replies", "confidence", "note"],
            additionalProperties: false,
          },
        },
      },
    });
    const parsed: unknown = JSON.parse(completion.choices[0]?.message.content ?? "");
    expect(parsed).toEqual({
      replies: ["Reply #1: Write two replies", "Reply #1: Write two replies"],
      confidence: 0,
      note: "Reply #1: Write two replies",
    });
  });

  it("turns a queued 500 fault into an APIError with status 500, consumed once per use", async () => {
    fake.enqueueFault({ status: 500 }, 2);
    expect(fake.pendingFaults()).toBe(2);
    for (let i = 0; i < 2; i++) {
      const error = await rejection(ask("x"));
      expect(error).toBeInstanceOf(APIError);
      expect(error).toBeInstanceOf(InternalServerError);
      expect(error).toMatchObject({ status: 500, type: "server_error" });
    }
    expect(fake.pendingFaults()).toBe(0);
    expect((await ask("x")).choices[0]?.message.content).toBe("Reply #1: x");
    expect(fake.chatRequests().map((r) => [r.fault, r.status])).toEqual([
      ["status", 500],
      ["status", 500],
      [null, 200],
    ]);
  });

  it("drop, hang and delay behave like a broken network", async () => {
    fake.enqueueFault({ drop: true });
    expect(await rejection(ask("dropped"))).toBeInstanceOf(APIConnectionError);

    fake.enqueueFault({ hang: true });
    const hanging = rejection(ask("hung"));
    await new Promise((r) => setTimeout(r, 30));
    expect(fake.releaseHangs()).toBe(1);
    expect(await hanging).toBeInstanceOf(APIConnectionError);

    fake.enqueueFault({ delayMs: 200 });
    const impatient = new OpenAI({ apiKey: "k", baseURL: fake.baseUrl, maxRetries: 0, timeout: 50 });
    const timedOut = await rejection(
      impatient.chat.completions.create({ model: "m", messages: [{ role: "user", content: "slow" }] }),
    );
    expect(timedOut).toBeInstanceOf(APIConnectionTimeoutError);
    expect(fake.chatRequests().map((r) => r.status)).toEqual([null, null, null]);
  });

  it("setDown answers everything, models are listed, bad requests get OpenAI errors", async () => {
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toContain("gpt-4o-mini");
    fake.setDown(503);
    const error = await rejection(ask("x"));
    expect(error).toMatchObject({ status: 503, type: "server_error" });
    fake.setDown(null);

    const noKey = await fetch(`${fake.baseUrl}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] }),
    });
    expect(noKey.status).toBe(401);
    expect(fake.requests().at(-1)?.hasBearer).toBe(false);

    const bad = await rejection(client.chat.completions.create({ model: "m", messages: [] }));
    expect(bad).toMatchObject({ status: 400, type: "invalid_request_error", param: "messages" });
  });

  it("accepts paths without /v1", async () => {
    const bare = new OpenAI({ apiKey: "k", baseURL: fake.baseUrl.replace(/\/v1$/, ""), maxRetries: 0 });
    const completion = await bare.chat.completions.create({ model: "m", messages: [{ role: "user", content: "hi" }] });
    expect(completion.choices[0]?.message.content).toBe("Reply #1: hi");
    expect(fake.chatRequests()[0]?.path).toBe("/chat/completions");
  });

  it("stops serving GET /models on request (404), as some compatible servers do", async () => {
    fake.setModelsListed(false);
    await expect(client.models.list()).rejects.toMatchObject({ status: 404 });
    fake.setModelsListed(true);
    expect((await client.models.list()).data.map((model) => model.id)).toContain("gpt-4o-mini");
  });
});
