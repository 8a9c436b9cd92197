import { BrokenCircuitError, IsolatedCircuitError, TaskCancelledError } from "cockatiel";
import { AiError } from "../ai/errors.js";
import type { ModelGuard } from "../ai/model-chain.js";
import type { ResilienceRegistry } from "./registry.js";

/**
 * Runs each model call under that model's policy ("ai:<model>"). An open breaker or a policy
 * timeout becomes a transient AiError, so the drafter moves on to the next fallback model.
 */
export function createAiGuard(registry: ResilienceRegistry): ModelGuard {
  return async (model, call) => {
    try {
      return await registry.policy(`ai:${model}`, "ai").execute(call);
    } catch (error) {
      if (error instanceof BrokenCircuitError || error instanceof IsolatedCircuitError) {
        throw new AiError("transient", `AI model ${model} is resting: its circuit breaker is open`, { model });
      }
      if (error instanceof TaskCancelledError) {
        throw new AiError("transient", `AI model ${model} timed out`, { model });
      }
      throw error;
    }
  };
}
