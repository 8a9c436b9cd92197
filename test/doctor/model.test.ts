import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { modelCheck } from "../../src/doctor/model.js";
import { DOCTOR_TEST_TIMEOUT_MS, doctorConfig, printedLine } from "../support/doctor.js";
import { openAIErrorBody, startFakeOpenAI, type FakeOpenAI } from "../support/fake-openai.js";

describe("doctor: the model at OPENAI_BASE_URL", () => {
  let ai: FakeOpenAI;
  let where: string;
  const line = (extra: Record<string, string> = {}) =>
    printedLine(
      modelCheck(
        doctorConfig({ TELEGRAM_BOT_TOKEN: "123456:ABC-def_ghi", ADMIN_CHAT_ID: "4242", OPENAI_BASE_URL: ai.baseUrl, OPENAI_API_KEY: "sk-test-key-1234", ...extra }),
        DOCTOR_TEST_TIMEOUT_MS,
      ),
    );

  beforeAll(async () => {
    ai = await startFakeOpenAI();
    const url = new URL(ai.baseUrl);
    where = `${url.host}${url.pathname}`;
  });
  afterEach(() => ai.reset());
  afterAll(() => ai.close());

  it("finds the model and its fallbacks in GET /models, without spending a completion", async () => {
    expect(await line({ OPENAI_FALLBACK_MODELS: "gpt-4o" })).toBe(`✓ Model: gpt-4o-mini (fallbacks gpt-4o) at ${where}, listed by /models`);
    expect(ai.chatRequests()).toHaveLength(0);
  });

  it("asks for one token when /models is not served", async () => {
    ai.setModelsListed(false);
    expect(await line()).toBe(`✓ Model: gpt-4o-mini at ${where}, answered a one-token completion`);
    expect(ai.chatRequests().map((request) => (request.body as { max_tokens?: number }).max_tokens)).toEqual([1]);
  });

  it("says a rejected key (401) and to check OPENAI_API_KEY", async () => {
    ai.setDown(401);
    expect(await line()).toBe(`✗ Model: the key is rejected (401) at ${where} — check OPENAI_API_KEY`);
  });

  it("says a model the provider does not serve (404) and to check OPENAI_MODEL", async () => {
    ai.setResponder((request) => ({ status: 404, body: openAIErrorBody(404, `The model '${request.model}' does not exist`) }));
    expect(await line({ OPENAI_MODEL: "gpt-9-imaginary" })).toBe(
      `✗ Model: gpt-9-imaginary not served at ${where} (404 The model 'gpt-9-imaginary' does not exist) — check OPENAI_MODEL (and OPENAI_BASE_URL)`,
    );
  });

  it("warns about a fallback that is not served", async () => {
    ai.setResponder((request) => ({ status: 404, body: openAIErrorBody(404, `The model '${request.model}' does not exist`) }));
    expect(await line({ OPENAI_FALLBACK_MODELS: "gpt-4o,old-model" })).toBe(
      `! Model: gpt-4o-mini at ${where} (listed by /models); fallback old-model not served — check OPENAI_FALLBACK_MODELS`,
    );
  });

  it("is not configured without OPENAI_API_KEY", async () => {
    expect(await line({ OPENAI_API_KEY: "" })).toBe("- Model: not configured (OPENAI_API_KEY unset): drafting is idle");
  });
});
