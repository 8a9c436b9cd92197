import {
  circuitBreaker,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  handleWhen,
  retry,
  timeout,
  TimeoutStrategy,
  wrap,
  type CircuitBreakerPolicy,
} from "cockatiel";
import { countsAgainstBreaker, isRetryable } from "./failure.js";

/** Timeout, retry and breaker settings of one policy. */
export interface PolicySettings {
  /** Per-attempt timeout; 0 = none (the database policy wraps whole jobs, which must not be abandoned mid-way). */
  readonly timeoutMs: number;
  /** Retries after the first attempt (cockatiel's `maxAttempts` counts retries: 3 → up to 4 runs). */
  readonly retries: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** Consecutive transient failures that open the breaker. */
  readonly breakerThreshold: number;
  /** How long an open breaker rests before one probe call (half-open). */
  readonly halfOpenAfterMs: number;
}

/** A breaker state in words. */
export type BreakerState = "closed" | "open" | "half_open" | "isolated";

const STATE_NAMES = {
  [CircuitState.Closed]: "closed",
  [CircuitState.Open]: "open",
  [CircuitState.HalfOpen]: "half_open",
  [CircuitState.Isolated]: "isolated",
} as const satisfies Record<CircuitState, BreakerState>;

/** Hooks a policy calls; the registry uses them to persist state and raise alerts. */
export interface PolicyHooks {
  onStateChange(name: string, state: BreakerState, snapshot: unknown): void;
  onRetry?(name: string, attempt: number, delayMs: number): void;
}

/**
 * Since when a persisted open breaker has been down: the time saved with it, else (a state saved before that was
 * recorded) cockatiel's own wall-clock opening time; undefined when neither is known.
 */
function downSinceOf(initialState: unknown): Date | undefined {
  const saved = initialState as { downSince?: unknown; ownState?: { openedAt?: unknown } } | undefined;
  const at = typeof saved?.downSince === "number" ? saved.downSince : saved?.ownState?.openedAt;
  return typeof at === "number" && at > 0 ? new Date(at) : undefined;
}

/**
 * One dependency instance's resilience: per-attempt timeout, retry with exponential backoff and
 * jitter, and a consecutive-failure circuit breaker. Only transient failures are retried and
 * counted; rate limits and permanent errors pass straight through; an open circuit is never retried.
 */
export class ResiliencePolicy {
  private breaker!: CircuitBreakerPolicy;
  private openedAt: Date | undefined;
  /** When the breaker first opened since it was last closed (a failed half-open probe does not move it). */
  private downSinceAt: Date | undefined;

  constructor(
    readonly name: string,
    private readonly settings: PolicySettings,
    private readonly hooks: PolicyHooks,
    initialState?: unknown,
  ) {
    this.build(initialState);
    if (this.state === "open" || this.state === "half_open") this.downSinceAt = downSinceOf(initialState);
  }

  private build(initialState?: unknown): void {
    this.breaker = circuitBreaker(handleWhen(countsAgainstBreaker), {
      halfOpenAfter: this.settings.halfOpenAfterMs,
      breaker: new ConsecutiveBreaker(this.settings.breakerThreshold),
      initialState,
    });
    this.breaker.onStateChange((state) => {
      const named = STATE_NAMES[state];
      if (named === "open") {
        this.openedAt = new Date();
        this.downSinceAt ??= this.openedAt;
      }
      if (named === "closed") {
        this.openedAt = undefined;
        this.downSinceAt = undefined;
      }
      this.hooks.onStateChange(this.name, named, this.snapshot());
    });
  }

  /** Runs `work` under the policy. `idempotent: false` (a POST) is never retried once it may have reached the peer. */
  execute<T>(work: (signal: AbortSignal) => Promise<T>, options: { idempotent?: boolean } = {}): Promise<T> {
    const idempotent = options.idempotent ?? true;
    const retries = retry(
      handleWhen((error) => isRetryable(error, idempotent)),
      {
        maxAttempts: this.settings.retries,
        backoff: new ExponentialBackoff({ initialDelay: this.settings.baseDelayMs, maxDelay: this.settings.maxDelayMs }),
      },
    );
    retries.onRetry(({ delay, attempt }) => this.hooks.onRetry?.(this.name, attempt, delay));
    if (this.settings.timeoutMs === 0) return wrap(retries, this.breaker).execute(({ signal }) => work(signal));
    const perAttempt = timeout(this.settings.timeoutMs, TimeoutStrategy.Aggressive);
    return wrap(retries, this.breaker, perAttempt).execute(({ signal }) => work(signal));
  }

  /** The breaker's state as of the last call or change (cockatiel updates it lazily). */
  get state(): BreakerState {
    return STATE_NAMES[this.breaker.state];
  }

  /**
   * Whether a call may be tried now: not while open and resting. cockatiel moves to half-open only
   * when a call is made, so callers that skip work while "open" would never probe without this.
   * A breaker restored open at boot has no known opening time: one call is let through to probe.
   */
  isAvailable(now = Date.now()): boolean {
    if (this.state === "isolated") return false;
    if (this.state !== "open") return true;
    return this.openedAt === undefined || now - this.openedAt.getTime() >= this.settings.halfOpenAfterMs;
  }

  /** When the breaker last opened, while it is open. */
  get openSince(): Date | undefined {
    return this.openedAt;
  }

  /**
   * Since when the breaker has not been closed (opened, then half-open probes that failed), while it is open or
   * half-open; undefined when closed or isolated by hand. Persisted with the state, so a restart keeps it.
   */
  get downSince(): Date | undefined {
    return this.state === "open" || this.state === "half_open" ? this.downSinceAt : undefined;
  }

  /** Serialisable breaker state (cockatiel's toJSON, plus since when it has been down), restored with `initialState`. */
  snapshot(): unknown {
    return { ...(this.breaker.toJSON() as object), downSince: this.downSinceAt?.getTime() };
  }

  /** Closes the breaker by hand (an admin's reset), forgetting its failures. */
  reset(): void {
    const wasOpen = this.state !== "closed";
    this.build(undefined);
    this.openedAt = undefined;
    this.downSinceAt = undefined;
    if (wasOpen) this.hooks.onStateChange(this.name, "closed", this.snapshot());
  }
}
