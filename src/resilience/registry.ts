import type { Logger } from "../logger.js";
import type { BreakerStore } from "./breaker-store.js";
import { ResiliencePolicy, type BreakerState, type PolicySettings } from "./policy.js";

/** The kinds of dependency, each with its own defaults. */
export type DependencyKind = "x" | "ai" | "db";

/** One breaker as /health and /breaker show it. */
export interface BreakerView {
  readonly name: string;
  readonly kind: DependencyKind;
  readonly state: BreakerState;
  readonly openSince: Date | undefined;
}

/** A breaker changed state (for alerts). */
export type BreakerListener = (event: { name: string; kind: DependencyKind; state: BreakerState }) => void;

/**
 * One policy per dependency instance ("x:main", "ai:gpt-4o-mini", "db"), created on first use with
 * the state persisted by an earlier run, and persisted again on every state change: an open
 * breaker stays open across a restart. Admins can reset a breaker by name.
 */
export class ResilienceRegistry {
  private readonly policies = new Map<string, { policy: ResiliencePolicy; kind: DependencyKind }>();
  private saved = new Map<string, unknown>();
  private readonly listeners: BreakerListener[] = [];

  constructor(
    private readonly settings: Readonly<Record<DependencyKind, PolicySettings>>,
    private readonly store: BreakerStore,
    private readonly logger: Logger,
  ) {}

  /** Loads persisted states; policies created afterwards start from them. */
  async restore(): Promise<number> {
    this.saved = await this.store.loadAll();
    return this.saved.size;
  }

  /** Subscribes to breaker state changes. */
  onChange(listener: BreakerListener): void {
    this.listeners.push(listener);
  }

  /** The policy of a dependency instance, created on first use. */
  policy(name: string, kind: DependencyKind): ResiliencePolicy {
    const existing = this.policies.get(name);
    if (existing) return existing.policy;
    const policy = new ResiliencePolicy(
      name,
      this.settings[kind],
      {
        onStateChange: (policyName, state, snapshot) => {
          this.logger.warn({ breaker: policyName, state }, "circuit breaker changed state");
          this.store.save(policyName, snapshot).catch((error: unknown) => {
            this.logger.warn({ err: error, breaker: policyName }, "could not persist breaker state");
          });
          for (const listener of this.listeners) listener({ name: policyName, kind, state });
        },
        onRetry: (policyName, attempt, delayMs) => this.logger.debug({ breaker: policyName, attempt, delayMs }, "retrying"),
      },
      this.saved.get(name),
    );
    this.policies.set(name, { policy, kind });
    return policy;
  }

  /** Every breaker created so far. */
  all(): BreakerView[] {
    return [...this.policies.values()].map(({ policy, kind }) => ({
      name: policy.name,
      kind,
      state: policy.state,
      openSince: policy.openSince,
    }));
  }

  /** Closes a breaker by hand; false when no breaker has that name. */
  reset(name: string): boolean {
    const entry = this.policies.get(name);
    if (!entry) return false;
    entry.policy.reset();
    return true;
  }
}
