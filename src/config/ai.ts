import { boolean, commaList, integer, optionalString, text, url } from "./fields.js";
import { group, setting } from "./group.js";

/** The OpenAI-compatible provider, and how drafts use it. */
export const aiConfig = group({
  openai: {
    apiKey: setting("OPENAI_API_KEY", optionalString),
    baseUrl: setting("OPENAI_BASE_URL", url("https://api.openai.com/v1")),
    model: setting("OPENAI_MODEL", text("gpt-4o-mini")),
  },
  ai: {
    fallbackModels: setting("OPENAI_FALLBACK_MODELS", commaList),
    maxShortenAttempts: setting("MAX_SHORTEN_ATTEMPTS", integer(2, 0, 5)),
    maxTokens: setting("AI_MAX_TOKENS", integer(400, 16, 16_384)),
  },
  /** What a model draft may add to its post; an allowed addition is flagged on the card. */
  replyGuard: {
    allowNewLinks: setting("REPLY_ALLOW_LINKS", boolean(false)),
    allowNewMentions: setting("REPLY_ALLOW_MENTIONS", boolean(false)),
  },
});
