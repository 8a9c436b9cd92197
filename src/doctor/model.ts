import OpenAI, { APIConnectionError, APIError } from "openai";
import type { Config } from "../config.js";
import { fail, ok, reasonOf, skip, warn, type CheckLine, type DoctorCheck } from "./check.js";

const NAME = "Model";

/** Where the provider is, for the output: host and path of OPENAI_BASE_URL (never its userinfo). */
function whereOf(baseUrl: string): string {
  const url = new URL(baseUrl);
  return `${url.host}${url.pathname.replace(/\/$/, "")}`;
}

/** A failure that no model name can fix: the key, or the provider out of reach. */
function providerFailure(error: unknown, where: string): CheckLine | undefined {
  if (error instanceof APIConnectionError) return fail(NAME, `${where} unreachable (${reasonOf(error)})`, "check OPENAI_BASE_URL and this machine's network");
  if (error instanceof APIError && error.status === 401) return fail(NAME, `the key is rejected (401) at ${where}`, "check OPENAI_API_KEY");
  if (error instanceof APIError && error.status === 403) return fail(NAME, `refused (403) at ${where}: ${error.message}`, "check OPENAI_API_KEY's project and permissions");
  return undefined;
}

/**
 * The models the bot drafts with (OPENAI_MODEL, then OPENAI_FALLBACK_MODELS) at OPENAI_BASE_URL: one GET /models,
 * and a one-token chat completion for a model it does not list (or when /models is not served, as with some
 * OpenAI-compatible servers). A missing fallback is a warning; a missing main model, a failure.
 */
export function modelCheck(config: Config, timeoutMs: number): DoctorCheck {
  return {
    name: NAME,
    // The listing, then at most one completion per model (all at once).
    timeLimitMs: 2 * timeoutMs,
    onTimeout: "check OPENAI_BASE_URL and this machine's network",
    async run(signal) {
      const { apiKey, baseUrl, model } = config.openai;
      if (!apiKey) return skip(NAME, "not configured (OPENAI_API_KEY unset): drafting is idle");
      const where = whereOf(baseUrl);
      const client = new OpenAI({ apiKey, baseURL: baseUrl, maxRetries: 0, timeout: timeoutMs });
      let listed: Set<string> | undefined;
      try {
        listed = new Set((await client.models.list({ signal })).data.map((entry) => entry.id));
      } catch (error) {
        const line = providerFailure(error, where);
        if (line) return line;
        // Not served here (404, 405…), or busy: each model is then asked for one token instead.
      }
      /** Undefined when served; else why not, or the line of a failure no model name can fix. */
      const served = async (name: string): Promise<string | CheckLine | undefined> => {
        if (listed?.has(name)) return undefined;
        try {
          await client.chat.completions.create({ model: name, messages: [{ role: "user", content: "ping" }], max_tokens: 1 }, { signal });
          return undefined;
        } catch (error) {
          return providerFailure(error, where) ?? (error instanceof APIError ? error.message : reasonOf(error));
        }
      };
      const models = [model, ...config.ai.fallbackModels];
      const results = await Promise.all(models.map(served));
      const fatal = results.find((result): result is CheckLine => typeof result === "object");
      if (fatal) return fatal;
      const problems = results as (string | undefined)[];
      const how = listed ? "listed by /models" : "answered a one-token completion";
      if (problems[0] !== undefined) return fail(NAME, `${model} not served at ${where} (${problems[0]})`, "check OPENAI_MODEL (and OPENAI_BASE_URL)");
      const missing = models.filter((_, index) => index > 0 && problems[index] !== undefined);
      if (missing.length > 0) {
        return warn(NAME, `${model} at ${where} (${how}); fallback ${missing.join(", ")} not served`, "check OPENAI_FALLBACK_MODELS");
      }
      const fallbacks = models.length > 1 ? ` (fallbacks ${models.slice(1).join(", ")})` : "";
      return ok(NAME, `${model}${fallbacks} at ${where}, ${how}`);
    },
  };
}
