import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { modelStep } from "../../src/setup/model-step.js";
import { SetupState } from "../../src/setup/setup-state.js";
import { startFakeOpenAI, type FakeOpenAI } from "../support/fake-openai.js";
import { scriptedPrompter } from "../support/scripted-prompter.js";

describe("setup: the AI provider", () => {
  let ai: FakeOpenAI;
  beforeAll(async () => {
    ai = await startFakeOpenAI();
  });
  afterEach(() => ai.reset());
  afterAll(() => ai.close());

  it("checks a listed model with GET /models alone", async () => {
    const state = new SetupState({});
    await modelStep(
      scriptedPrompter([
        { asks: "OPENAI_BASE_URL", answer: ai.baseUrl },
        { asks: "OPENAI_API_KEY", answer: "sk-good" },
        { asks: "OPENAI_MODEL", answer: "gpt-4.1" },
      ]),
      state,
    );
    expect(ai.requests().map((r) => `${r.method} ${r.path}`)).toEqual(["GET /v1/models"]);
    expect([state.get("OPENAI_API_KEY"), state.get("OPENAI_MODEL"), state.get("OPENAI_BASE_URL")]).toEqual(["sk-good", "gpt-4.1", ai.baseUrl]);
  });

  it("asks for one token when the provider does not list the model", async () => {
    await modelStep(
      scriptedPrompter([
        { asks: "OPENAI_BASE_URL", answer: ai.baseUrl },
        { asks: "OPENAI_API_KEY", answer: "sk-good" },
        { asks: "OPENAI_MODEL", answer: "my-local-model" },
      ]),
      new SetupState({}),
    );
    const completion = ai.chatRequests()[0];
    expect(completion?.body).toMatchObject({ model: "my-local-model", max_tokens: 1 });
  });

  it("says the key was refused, asks again, and never prints the key", async () => {
    ai.setDown(401);
    const state = new SetupState({});
    const prompter = scriptedPrompter([
      { asks: "OPENAI_BASE_URL", answer: ai.baseUrl },
      { asks: "OPENAI_API_KEY", answer: "sk-wrong-key" },
      { asks: "OPENAI_MODEL", answer: "" },
      {
        asks: "What now?",
        answer: () => {
          ai.setDown(null);
          return "again";
        },
      },
      { asks: "OPENAI_BASE_URL", answer: "" },
      { asks: "OPENAI_API_KEY", answer: "sk-right-key" },
      { asks: "OPENAI_MODEL", answer: "" },
    ]);
    await modelStep(prompter, state);
    expect(prompter.transcript).toContain("✖ Model check failed: the provider refused the API key (401).");
    expect(state.get("OPENAI_API_KEY")).toBe("sk-right-key");
    expect(state.get("OPENAI_MODEL")).toBe("gpt-4o-mini");
    expect(prompter.transcript.join("\n")).not.toMatch(/sk-wrong-key|sk-right-key/);
  });

  it("starts without a key: nothing is checked and the bot will draft nothing", async () => {
    const prompter = scriptedPrompter([
      { asks: "OPENAI_BASE_URL", answer: "" },
      { asks: "OPENAI_API_KEY (Enter = none", answer: "" },
      { asks: "OPENAI_MODEL", answer: "" },
    ]);
    const state = new SetupState({});
    await modelStep(prompter, state);
    expect(ai.requests()).toHaveLength(0);
    expect(state.get("OPENAI_API_KEY")).toBeUndefined();
    expect(prompter.transcript).toContain("⚠ No API key: the bot will start but draft nothing until OPENAI_API_KEY is set.");
  });
});
