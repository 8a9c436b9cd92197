import { z } from "zod";
import { commaList, integer, optionalString, text, url } from "./fields.js";

/** The OpenAI-compatible provider and how drafts use it: `config.openai`, `config.ai`. */
export const aiConfig = z
  .object({
    OPENAI_API_KEY: optionalString,
    OPENAI_BASE_URL: url("https://api.openai.com/v1"),
    OPENAI_MODEL: text("gpt-4o-mini"),
    OPENAI_FALLBACK_MODELS: commaList,
    MAX_SHORTEN_ATTEMPTS: integer(2, 0, 5),
  })
  .transform((env) => ({
    openai: { apiKey: env.OPENAI_API_KEY, baseUrl: env.OPENAI_BASE_URL, model: env.OPENAI_MODEL },
    ai: { fallbackModels: env.OPENAI_FALLBACK_MODELS, maxShortenAttempts: env.MAX_SHORTEN_ATTEMPTS },
  }));
