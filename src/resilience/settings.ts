import type { Config } from "../config.js";
import type { PolicySettings } from "./policy.js";
import type { DependencyKind } from "./registry.js";

/** Slack added to a client's own request timeout so the client, not the policy, reports a timeout first. */
const POLICY_TIMEOUT_SLACK_MS = 1_000;

/** Policy settings per dependency kind, from the configuration. */
export function policySettingsFromConfig(config: Config): Record<DependencyKind, PolicySettings> {
  const r = config.resilience;
  const common = { retries: r.maxAttempts - 1, baseDelayMs: r.baseDelayMs, maxDelayMs: r.maxDelayMs };
  const breaker = (kind: DependencyKind) => ({
    breakerThreshold: r.breakers[kind].threshold,
    halfOpenAfterMs: r.breakers[kind].halfOpenSeconds * 1000,
  });
  return {
    x: { ...common, ...breaker("x"), timeoutMs: r.xRequestTimeoutMs + POLICY_TIMEOUT_SLACK_MS },
    ai: { ...common, ...breaker("ai"), timeoutMs: r.aiRequestTimeoutMs + POLICY_TIMEOUT_SLACK_MS },
    db: { ...common, ...breaker("db"), timeoutMs: 0 },
  };
}
