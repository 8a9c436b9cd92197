/**
 * Runs one chat completion against a primary model and, on failures another model may not have, each fallback
 * model in order. Exactly one HTTP request per model per call: the SDK's own retries are off, retrying belongs to the
 * caller's resilience layer.
 */
import type OpenAI from "openai";
import { AiError, classifyAiError, shouldTryFallbackModel } from "./errors.js";
import type { PromptMessage } from "./prompts.js";

/** One completion request, without the model. */
export interface ChainRequest {
  messages: readonly PromptMessage[];
  responseFormat?: OpenAI.ChatCompletionCreateParams["response_format"];
}

/** A successful completion. */
export interface ChainAnswer {
  /** The assistant's text (may still need cleaning). */
  content: string;
  /** The model that answered. */
  model: string;
  /** Index of that model in the chain (0 = primary). */
  index: number;
}

/** Options of {@link createModelChain}. */
/** Runs one model call under a caller's policy (timeouts, retries, a per-model circuit breaker). */
export type ModelGuard = (model: string, call: (signal: AbortSignal) => Promise<string>) => Promise<string>;

export interface ModelChainOptions {
  guard?: ModelGuard;
  client: OpenAI;
  /** Primary model first, then fallbacks; duplicates are dropped. */
  models: readonly string[];
  /** Per-request timeout in ms. */
  timeoutMs: number;
  /** Values to mask in error messages (the API key). */
  secrets: readonly string[];
  /** `max_tokens` of every request: the most one answer may cost. */
  maxTokens: number;
}

/** Runs completions over a model chain; see {@link createModelChain}. */
export interface ModelChain {
  /** The models in order, primary first. */
  readonly models: readonly string[];
  /** Completes `request`, starting at chain position `startAt`; throws a classified {@link AiError}. */
  complete(request: ChainRequest, signal: AbortSignal | undefined, startAt?: number): Promise<ChainAnswer>;
}

/**
 * Runs `run` with a per-request signal that follows `signal`. The SDK adds an abort listener to the signal it is
 * given and never removes it, so passing a long-lived signal (e.g. a shutdown signal) directly would leak one
 * listener per request.
 */
async function withRequestSignal<T>(signal: AbortSignal | undefined, run: (s: AbortSignal | undefined) => Promise<T>): Promise<T> {
  if (!signal) return run(undefined);
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(signal.reason);
  if (signal.aborted) controller.abort(signal.reason);
  else signal.addEventListener("abort", onAbort, { once: true });
  try {
    return await run(controller.signal);
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The first choice of a completion, read without trusting its shape: a provider (or a proxy in front of it) may
 * answer 200 with anything, and a body without choices is an unusable answer, not a local bug.
 */
function firstChoice(completion: unknown, model: string): { content: unknown; refusal: unknown; finishReason: unknown } {
  const choices = isRecord(completion) ? completion.choices : undefined;
  const choice: unknown = Array.isArray(choices) ? choices[0] : undefined;
  if (!isRecord(choice)) throw new AiError("bad_response", `AI response for model ${model} has no choices`, { model });
  const message = isRecord(choice.message) ? choice.message : {};
  return { content: message.content, refusal: message.refusal, finishReason: choice.finish_reason };
}

function abortedError(model: string | undefined): AiError {
  return new AiError("transient", `AI request${model ? ` for model ${model}` : ""} aborted by the caller`, { aborted: true, model });
}

/** Creates a {@link ModelChain}. */
export function createModelChain(options: ModelChainOptions): ModelChain {
  const models = [...new Set(options.models.map((m) => m.trim()).filter(Boolean))];
  if (models.length === 0) throw new TypeError("createModelChain: at least one model is required");
  const { client, timeoutMs, secrets, maxTokens } = options;
  if (!Number.isInteger(maxTokens) || maxTokens < 1) throw new RangeError("createModelChain: maxTokens must be a positive integer");

  async function once(model: string, request: ChainRequest, signal: AbortSignal | undefined): Promise<string> {
    const completion = await withRequestSignal(signal, (requestSignal) =>
      client.chat.completions.create(
        {
          model,
          messages: request.messages.map((m) => ({ role: m.role, content: m.content })),
          max_tokens: maxTokens,
          ...(request.responseFormat ? { response_format: request.responseFormat } : {}),
        },
        { signal: requestSignal, timeout: timeoutMs, maxRetries: 0 },
      ),
    );
    const { content, refusal, finishReason } = firstChoice(completion, model);
    if (typeof refusal === "string" && refusal.trim() !== "") {
      throw new AiError("bad_response", `model ${model} refused: ${refusal.replace(/\s+/g, " ").slice(0, 200)}`, {
        model,
        answerProblem: "refused",
      });
    }
    if (finishReason === "content_filter") {
      throw new AiError("bad_response", `AI response for model ${model} was blocked by the content filter`, {
        model,
        answerProblem: "content_filter",
      });
    }
    if (typeof content !== "string" || content.trim() === "") {
      throw new AiError("bad_response", `AI response for model ${model} is empty (finish_reason ${String(finishReason)})`, {
        model,
        answerProblem: "empty",
      });
    }
    return content;
  }

  return {
    models,
    async complete(request, signal, startAt = 0) {
      const failures: AiError[] = [];
      const start = Math.min(Math.max(0, startAt), models.length - 1);
      for (let index = start; index < models.length; index++) {
        const model = models[index] ?? "";
        if (signal?.aborted) throw abortedError(model);
        try {
          // Classified inside the guard: its policy retries and counts (breaker) only failures it recognises as AiErrors.
          const content = options.guard
            ? await options.guard(model, (guardSignal) =>
                once(model, request, signal ? AbortSignal.any([signal, guardSignal]) : guardSignal).catch((error: unknown) => {
                  throw classifyAiError(error, { secrets, model });
                }),
              )
            : await once(model, request, signal);
          return { content, model, index };
        } catch (error) {
          const failure = classifyAiError(error, { secrets, model });
          failures.push(failure);
          if (!shouldTryFallbackModel(failure) || index === models.length - 1) throw summarize(failures);
        }
      }
      // Unreachable: the loop returns or throws on its last model.
      throw new AiError("permanent", "AI model chain ran no model");
    },
  };
}

/**
 * One error for a chain of failures. Its kind, status and retry-after come from the last failure, unless that one is
 * not retryable while an earlier one was (e.g. primary 503, fallback 404 model-not-found): the chain as a whole may
 * then succeed later, so the earlier, retryable failure decides. The message lists every failure.
 */
function summarize(failures: readonly AiError[]): AiError {
  const last = failures[failures.length - 1];
  if (!last) return new AiError("permanent", "AI model chain ran no model");
  if (failures.length === 1) return last;
  const retryable = (f: AiError): boolean => f.kind === "transient" || f.kind === "rate_limited";
  const decisive = retryable(last) ? last : (failures.find(retryable) ?? last);
  const message = `all ${failures.length} models failed: ${failures.map((f) => f.message).join("; ")}`;
  return new AiError(decisive.kind, message, {
    status: decisive.status,
    retryAfterMs: decisive.retryAfterMs,
    code: decisive.code,
    model: decisive.model,
    aborted: decisive.aborted,
    modelNotFound: decisive.modelNotFound,
    answerProblem: decisive.answerProblem,
  });
}
