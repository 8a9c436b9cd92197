import { BrokenCircuitError, IsolatedCircuitError, TaskCancelledError } from "cockatiel";
import { AiError } from "../ai/errors.js";
import type { ModelGuard } from "../ai/model-chain.js";
import { aiPolicyName } from "./policy-names.js";
import type { ResilienceRegistry } from "./registry.js";

/** The latest successful AI call, for /health. */
export class AiActivity {
  private latest: { model: string; latencyMs: number; at: Date } | undefined;

  /** Records a successful call. */
  record(model: string, latencyMs: number): void {
    this.latest = { model, latencyMs, at: new Date() };
  }

  /** The latest successful call, if any. */
  get last(): { model: string; latencyMs: number; at: Date } | undefined {
    return this.latest;
  }
}

/**
 * Runs each model call under that model's policy ("ai:<model>"). An open breaker or a policy
 * timeout becomes a transient AiError, so the drafter moves on to the next fallback model.
 */
export function createAiGuard(registry: ResilienceRegistry, activity?: AiActivity): ModelGuard {
  return async (model, call) => {
    const started = performance.now();
    try {
      const answer = await registry.policy(aiPolicyName(model), "ai").execute(call);
      activity?.record(model, performance.now() - started);
      return answer;
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
