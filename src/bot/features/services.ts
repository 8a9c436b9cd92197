import type { Composer } from "grammy";
import type { AlertAdmin } from "../../alerts/index.js";
import type { HealthService } from "../../health/health-service.js";
import type { ResilienceRegistry } from "../../resilience/registry.js";
import type { AccountAdmin } from "../../workflow/account-admin.js";
import type { AccountsView } from "../../workflow/accounts-view.js";
import type { BulkApproval } from "../../workflow/bulk/batches.js";
import type { DeadLetters } from "../../workflow/dead-letters.js";
import type { OAuth2Connect } from "../../workflow/oauth2-connect.js";
import type { PauseSwitch } from "../../workflow/pause.js";
import type { QueueView } from "../../workflow/queue-view.js";
import type { Review } from "../../workflow/review.js";
import type { SettingsStore } from "../../workflow/settings.js";
import type { StatsView } from "../../workflow/stats.js";
import type { TraceView } from "../../workflow/trace.js";
import type { Watchlist } from "../../workflow/watchlist.js";
import type { BotContext } from "../context.js";

/** The breaker operations /breaker and /health offer. */
export type BreakerAdmin = Pick<ResilienceRegistry, "all" | "reset">;

/** The services the Telegram features call: workflow services and read views, never the database. */
export interface FeatureServices {
  readonly review: Review;
  readonly queue: QueueView;
  /** Bulk approve / reject from /queue, and the last batches. */
  readonly bulk: BulkApproval;
  readonly stats: StatsView;
  /** One item's timeline by its post id, for /trace. */
  readonly trace: TraceView;
  readonly deadLetters: DeadLetters;
  readonly watchlist: Watchlist;
  readonly pause: PauseSwitch;
  readonly settings: SettingsStore;
  readonly health: HealthService;
  readonly breakers: BreakerAdmin;
  readonly alerts: AlertAdmin;
  /** The X accounts of the pool, as /accounts lists them. */
  readonly accounts: AccountsView;
  /** /accounts add, disable, enable, remove. */
  readonly accountAdmin: AccountAdmin;
  /** Connecting X accounts in OAuth 2.0 user context (undefined: not offered). */
  readonly oauth2Connect?: OAuth2Connect;
  /** The clock for times shown relative to now (tests pass their own). */
  readonly now?: () => Date;
}

/**
 * The one shape of a feature factory: it takes the services (each factory declares the part it
 * uses with `Pick`, so tests pass only that part) and returns the feature's composer.
 */
export type FeatureFactory = (services: FeatureServices) => Composer<BotContext>;
