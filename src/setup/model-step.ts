import OpenAI, { APIError } from "openai";
import { redactSecrets } from "../logger.js";
import type { Prompter } from "./prompter.js";
import type { SetupState } from "./setup-state.js";
import { checkValue, defaultOf } from "./variables.js";

/** Per-request limit of the checks: a provider that says nothing in this time is reported, not waited for. */
const CHECK_TIMEOUT_MS = 20_000;

interface Provider {
  readonly baseUrl: string;
  readonly apiKey: string;
  readonly model: string;
}

/**
 * Whether the provider takes the key and knows the model: GET /models first (free); when the provider has no such
 * list (404) or does not list the model, one completion of one token. Returns a problem in words, or undefined.
 */
async function checkModel({ baseUrl, apiKey, model }: Provider): Promise<string | undefined> {
  const client = new OpenAI({ apiKey, baseURL: baseUrl, maxRetries: 0, timeout: CHECK_TIMEOUT_MS });
  const describe = (error: unknown): string => {
    if (error instanceof APIError && error.status === 401) return `the provider refused the API key (401).`;
    if (error instanceof APIError && error.status === 404) return `the provider does not know the model ${model} (404).`;
    return redactSecrets(error instanceof Error ? error.message : String(error), [apiKey]);
  };
  try {
    const models = await client.models.list();
    if (models.data.some((entry) => entry.id === model)) return undefined;
  } catch (error) {
    if (!(error instanceof APIError && error.status === 404)) return describe(error);
  }
  try {
    await client.chat.completions.create({ model, messages: [{ role: "user", content: "Say OK." }], max_tokens: 1 });
    return undefined;
  } catch (error) {
    return describe(error);
  }
}

/**
 * Sets the OpenAI-compatible provider (OPENAI_BASE_URL, OPENAI_API_KEY, OPENAI_MODEL) and checks that it takes the
 * key and knows the model. Optional: without a key the bot starts but drafts nothing.
 */
export async function modelStep(prompter: Prompter, state: SetupState): Promise<void> {
  prompter.say("AI: any OpenAI-compatible /chat/completions provider writes the drafts.");
  for (;;) {
    const baseUrl = await prompter.text("OPENAI_BASE_URL", {
      fallback: state.get("OPENAI_BASE_URL") ?? defaultOf("OPENAI_BASE_URL"),
      validate: (value) => checkValue("OPENAI_BASE_URL", value),
    });
    const current = state.get("OPENAI_API_KEY");
    const answer = (await prompter.secret(`OPENAI_API_KEY${current === undefined ? " (Enter = none: the bot drafts nothing)" : " (Enter = keep current)"}`)).trim();
    const apiKey = answer === "" ? current : answer;
    const model = await prompter.text("OPENAI_MODEL", {
      fallback: state.get("OPENAI_MODEL") ?? defaultOf("OPENAI_MODEL"),
      validate: (value) => checkValue("OPENAI_MODEL", value),
    });
    state.set("OPENAI_BASE_URL", baseUrl.trim());
    state.set("OPENAI_MODEL", model.trim());
    if (apiKey === undefined) {
      prompter.say("⚠ No API key: the bot will start but draft nothing until OPENAI_API_KEY is set.");
      return;
    }
    const problem = await checkModel({ baseUrl: baseUrl.trim().replace(/\/+$/, ""), apiKey, model: model.trim() });
    if (problem === undefined) {
      prompter.say(`✔ The provider takes the key and answers with ${model.trim()}.`);
      state.set("OPENAI_API_KEY", apiKey);
      return;
    }
    prompter.say(`✖ Model check failed: ${problem}`);
    type Next = "again" | "keep" | "skip";
    const next = await prompter.choose<Next>("What now?", [
      { name: "Enter them again", value: "again" },
      { name: "Keep these values anyway (the provider may be down)", value: "keep" },
      { name: "Leave the API key out (the bot drafts nothing)", value: "skip" },
    ]);
    if (next === "keep") state.set("OPENAI_API_KEY", apiKey);
    if (next === "skip") state.set("OPENAI_API_KEY", undefined);
    if (next !== "again") return;
  }
}
