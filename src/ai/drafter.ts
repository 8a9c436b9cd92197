/**
 * The OpenAI-compatible drafter: writes reply drafts (shortening them to X's limit when needed) and scores posts
 * for relevance, over a primary model with optional fallbacks. Errors are always {@link AiError}s.
 */
import OpenAI from "openai";
import { cleanReplyText } from "../text/clean-reply-text.js";
import { weightedLength, X_MAX_WEIGHTED_LENGTH } from "../text/weighted-length.js";
import { AiError } from "./errors.js";
import { parseGateDecision } from "./gate-decision.js";
import { createModelChain, type ModelGuard } from "./model-chain.js";
import type { ModelChain } from "./model-chain.js";
import {
  draftSystemPrompt,
  draftUserPrompt,
  GATE_JSON_SCHEMA,
  gateSystemPrompt,
  gateUserPrompt,
  shortenPrompt,
} from "./prompts.js";
import type { PromptMessage } from "./prompts.js";
import { guardReply, STRICT_REPLY_GUARD, type ReplyGuardPolicy } from "./reply-guard.js";
import type { DraftOutcome, Drafter, GateDecision, PostForDraft } from "./types.js";

export type { DraftOutcome, Drafter, GateDecision, PostForDraft } from "./types.js";

/** Options of {@link createOpenAiDrafter}. */
export interface OpenAiDrafterOptions {
  /** API root including the version, e.g. "https://api.openai.com/v1". */
  baseUrl: string;
  /** API key, sent as a Bearer token; masked in every error message. */
  apiKey: string;
  /** Primary model. */
  model: string;
  /** Models tried in order when the previous one fails transiently, is rate limited or does not exist. */
  fallbackModels?: readonly string[];
  /** Timeout of each HTTP request in ms (default 20000). A call may take up to this times the requests it makes. */
  requestTimeoutMs?: number;
  /** Shorten requests after an over-long draft (default 2; 0 disables shortening). */
  maxShortenAttempts?: number;
  /** Wraps every model call (the resilience layer's per-model policy). */
  guard?: ModelGuard;
  /** `max_tokens` of every request (default 400): a reply fits in about 100, the gate's JSON in fewer. */
  maxTokens?: number;
  /** Whether a draft may link to or mention what its post did not (default: neither; such a draft is refused). */
  replyGuard?: ReplyGuardPolicy;
}

/** Default per-request timeout. */
export const DEFAULT_AI_REQUEST_TIMEOUT_MS = 20_000;
/** Default number of shorten requests per draft. */
export const DEFAULT_MAX_SHORTEN_ATTEMPTS = 2;
/** Default `max_tokens` of each request. */
export const DEFAULT_AI_MAX_TOKENS = 400;

/** How one draft is made: the options of {@link createOpenAiDrafter} that shape it. */
interface DraftRules {
  readonly maxShorten: number;
  readonly replyGuard: ReplyGuardPolicy;
}

async function draftWith(chain: ModelChain, post: PostForDraft, persona: string, rules: DraftRules, signal?: AbortSignal): Promise<DraftOutcome> {
  const { maxShorten } = rules;
  const cleanedOrThrow = (content: string, model: string): string => {
    const text = cleanReplyText(content);
    if (text === "") {
      throw new AiError("bad_response", `model ${model} returned an empty reply after cleaning`, { model, answerProblem: "empty" });
    }
    guardReply(text, post, rules.replyGuard, model);
    return text;
  };
  const conversation: PromptMessage[] = [
    { role: "system", content: draftSystemPrompt(persona) },
    { role: "user", content: draftUserPrompt(post) },
  ];
  const first = await chain.complete({ messages: conversation }, signal);
  let current = { text: cleanedOrThrow(first.content, first.model), model: first.model, index: first.index };
  let length = weightedLength(current.text);
  let best = { ...current, length };
  let attempts = 0;
  while (length > X_MAX_WEIGHTED_LENGTH && attempts < maxShorten) {
    conversation.push({ role: "assistant", content: current.text }, { role: "user", content: shortenPrompt(length) });
    // Start at the model that answered last, so a primary that just failed is not asked again within this draft.
    const answer = await chain.complete({ messages: conversation }, signal, current.index);
    attempts += 1;
    current = { text: cleanedOrThrow(answer.content, answer.model), model: answer.model, index: answer.index };
    length = weightedLength(current.text);
    if (length <= best.length) best = { ...current, length };
  }
  return {
    text: best.text,
    weightedLength: best.length,
    tooLong: best.length > X_MAX_WEIGHTED_LENGTH,
    model: best.model,
    shortenAttempts: attempts,
  };
}

async function gateWith(chain: ModelChain, post: PostForDraft, topics: readonly string[], signal?: AbortSignal): Promise<GateDecision> {
  const answer = await chain.complete(
    {
      messages: [
        { role: "system", content: gateSystemPrompt(topics) },
        { role: "user", content: gateUserPrompt(post) },
      ],
      responseFormat: {
        type: "json_schema",
        json_schema: { name: "reply_gate", strict: true, schema: { ...GATE_JSON_SCHEMA } },
      },
    },
    signal,
  );
  const parsed = parseGateDecision(answer.content, answer.model);
  return { ...parsed, model: answer.model };
}

/**
 * Creates a {@link Drafter} on the `openai` SDK for any OpenAI-compatible API. The SDK's retries are off
 * (`maxRetries: 0`) — each call makes one request per model tried — and each request has its own timeout.
 *
 * `draft`: asks for a reply, cleans it ({@link cleanReplyText}) and checks it ({@link guardReply}: a link or mention
 * the post did not contain is refused unless `replyGuard` allows it); while it is over 280 weighted characters, asks the
 * model to shorten it (previous draft, its length and the limit), at most `maxShortenAttempts` times. A draft still
 * too long is returned with `tooLong: true`, never truncated; if an attempt comes back longer, the shortest is kept.
 * `gate`: asks for `{"score","reason"}` via a json_schema response format and parses it defensively.
 * Both throw {@link AiError} only; an empty or refused reply is `bad_response`.
 */
export function createOpenAiDrafter(options: OpenAiDrafterOptions): Drafter {
  const timeoutMs = options.requestTimeoutMs ?? DEFAULT_AI_REQUEST_TIMEOUT_MS;
  const maxShorten = options.maxShortenAttempts ?? DEFAULT_MAX_SHORTEN_ATTEMPTS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new RangeError("requestTimeoutMs must be a positive number");
  if (!Number.isInteger(maxShorten) || maxShorten < 0) throw new RangeError("maxShortenAttempts must be a non-negative integer");
  if (options.apiKey.trim() === "") throw new TypeError("apiKey must not be empty");

  const client = new OpenAI({
    apiKey: options.apiKey,
    baseURL: options.baseUrl,
    maxRetries: 0,
    timeout: timeoutMs,
    // Do not pick up OPENAI_ORG_ID / OPENAI_PROJECT_ID from the environment: configuration comes from our options.
    organization: null,
    project: null,
  });
  const chain = createModelChain({
    client,
    models: [options.model, ...(options.fallbackModels ?? [])],
    timeoutMs,
    secrets: [options.apiKey],
    guard: options.guard,
    maxTokens: options.maxTokens ?? DEFAULT_AI_MAX_TOKENS,
  });

  return {
    draft: (post, persona, signal) =>
      draftWith(chain, post, persona, { maxShorten, replyGuard: options.replyGuard ?? STRICT_REPLY_GUARD }, signal),
    gate: (post, topics, signal) => gateWith(chain, post, topics, signal),
  };
}
