import { count, eq } from "drizzle-orm";
import { collectDefaultMetrics, Counter, Gauge, Registry } from "prom-client";
import type { Database } from "../db/database.js";
import { deadLetters, posts, publishAttempts, workflowEvents, xAccounts, type XAccountStatus } from "../db/schema.js";
import type { BreakerState } from "../resilience/policy.js";
import type { ResilienceRegistry } from "../resilience/registry.js";
import { accountLoads } from "../workflow/publish/pacing.js";
import { skipReasonLabel } from "../workflow/skip-reasons.js";

const BREAKER_VALUE = { closed: 0, half_open: 1, open: 2, isolated: 3 } as const satisfies Record<BreakerState, number>;
const ACCOUNT_STATUSES = ["active", "failed", "disabled"] as const satisfies readonly XAccountStatus[];
/** Attempt outcomes that put the reply on X. */
const POSTED_OUTCOMES = new Set(["posted", "reconciled"]);
/** Attempt outcomes that did not get the reply out (an ambiguous one is reconciled later). */
const FAILED_OUTCOMES = new Set(["retry", "failed", "ambiguous"]);

/**
 * The Prometheus metrics of one process, in their own registry (no global state). Counts that
 * live in the database (workflow events, publish outcomes, DLQ depth) are read at scrape time, so
 * they survive restarts and agree across replicas; in-process counters cover the rest. Node's
 * default metrics include `nodejs_eventloop_lag_seconds`.
 */
export function createMetrics(deps: { db: Database; registry: ResilienceRegistry; isLeader?: () => boolean }) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "rgb_" });

  const updates = new Counter({
    name: "rgb_updates_handled_total",
    help: "Telegram updates handled by the bot",
    registers: [registry],
  });
  const refused = new Counter({
    name: "rgb_updates_refused_total",
    help: "Telegram updates refused by the admin guard (strangers)",
    registers: [registry],
  });
  const alertDeliveries = new Counter({
    name: "rgb_alert_deliveries_total",
    help: "Alert delivery attempts by channel and outcome",
    labelNames: ["channel", "outcome"],
    registers: [registry],
  });

  new Gauge({
    name: "rgb_workflow_events",
    help: "Workflow events recorded in the database by kind (discovered, drafted, approved, published, …)",
    labelNames: ["kind"],
    registers: [registry],
    async collect() {
      this.reset();
      const rows = await deps.db.select({ kind: workflowEvents.kind, n: count() }).from(workflowEvents).groupBy(workflowEvents.kind);
      for (const row of rows) this.set({ kind: row.kind }, row.n);
    },
  });
  new Gauge({
    name: "rgb_publish_attempts",
    help: "Publish attempts recorded in the database by outcome (posted, reconciled, ambiguous, retry, failed, in_flight)",
    labelNames: ["outcome"],
    registers: [registry],
    async collect() {
      this.reset();
      const rows = await deps.db
        .select({ outcome: publishAttempts.outcome, n: count() })
        .from(publishAttempts)
        .groupBy(publishAttempts.outcome);
      for (const row of rows) this.set({ outcome: row.outcome ?? "in_flight" }, row.n);
    },
  });
  new Gauge({
    name: "rgb_posts_skipped",
    help: "Posts skipped by reason (retweet, opted_out, not_summoned, off_topic, gatekeeper, author_cap, day_cap, draft_*, other)",
    labelNames: ["reason"],
    registers: [registry],
    async collect() {
      this.reset();
      const rows = await deps.db
        .select({ reason: posts.skipReason, n: count() })
        .from(posts)
        .where(eq(posts.state, "skipped"))
        .groupBy(posts.skipReason);
      // The label is a closed vocabulary: whatever the column holds, the series stay bounded.
      for (const row of rows) this.inc({ reason: skipReasonLabel(row.reason) }, row.n);
    },
  });
  new Gauge({
    name: "rgb_dlq_entries",
    help: "Dead-letter queue entries by status",
    labelNames: ["status"],
    registers: [registry],
    async collect() {
      this.reset();
      const rows = await deps.db.select({ status: deadLetters.status, n: count() }).from(deadLetters).groupBy(deadLetters.status);
      for (const row of rows) this.set({ status: row.status }, row.n);
    },
  });
  new Gauge({
    name: "rgb_x_account_status",
    help: "X account status: 1 for the account's current status (active, failed, disabled), 0 for the others",
    labelNames: ["account", "status"],
    registers: [registry],
    async collect() {
      this.reset();
      const rows = await deps.db.select({ label: xAccounts.label, status: xAccounts.status }).from(xAccounts);
      for (const row of rows) {
        for (const status of ACCOUNT_STATUSES) this.set({ account: row.label, status }, row.status === status ? 1 : 0);
      }
    },
  });
  /** Publish attempts per account label and outcome, read once per scrape for the per-account gauges below. */
  async function attemptsByAccount(): Promise<{ label: string; outcome: string | null; n: number }[]> {
    return deps.db
      .select({ label: xAccounts.label, outcome: publishAttempts.outcome, n: count() })
      .from(publishAttempts)
      .innerJoin(xAccounts, eq(xAccounts.id, publishAttempts.accountId))
      .groupBy(xAccounts.label, publishAttempts.outcome);
  }
  const perAccount = (name: string, help: string, outcomes: ReadonlySet<string>) =>
    new Gauge({
      name,
      help,
      labelNames: ["account"],
      registers: [registry],
      async collect() {
        this.reset();
        for (const { label } of await deps.db.select({ label: xAccounts.label }).from(xAccounts)) this.set({ account: label }, 0);
        for (const row of await attemptsByAccount()) if (row.outcome !== null && outcomes.has(row.outcome)) this.inc({ account: row.label }, row.n);
      },
    });
  perAccount("rgb_x_account_posts", "Replies each X account put on X (publish attempts posted or found by a reconcile)", POSTED_OUTCOMES);
  perAccount(
    "rgb_x_account_failures",
    "Publish attempts of each X account that did not get the reply out (retried, failed, or ambiguous until reconciled)",
    FAILED_OUTCOMES,
  );
  new Gauge({
    name: "rgb_x_account_load",
    help: "Load of each X account as ACCOUNT_STRATEGY=least_loaded counts it: attempts that may have posted in the last hour, claims in flight included",
    labelNames: ["account"],
    registers: [registry],
    async collect() {
      this.reset();
      const loads = await accountLoads(deps.db, new Date());
      const rows = await deps.db.select({ id: xAccounts.id, label: xAccounts.label }).from(xAccounts);
      for (const row of rows) this.set({ account: row.label }, loads.get(row.id) ?? 0);
    },
  });
  new Gauge({
    name: "rgb_circuit_breaker_state",
    help: "Circuit breaker state per policy: 0 closed, 1 half-open, 2 open, 3 isolated",
    labelNames: ["policy"],
    registers: [registry],
    collect() {
      this.reset();
      for (const breaker of deps.registry.all()) this.set({ policy: breaker.name }, BREAKER_VALUE[breaker.state]);
    },
  });

  new Gauge({
    name: "rgb_leader",
    help: "1 while this replica leads (polls Telegram, runs discovery, cards, alerts), 0 while it stands by",
    registers: [registry],
    collect() {
      this.set(deps.isLeader?.() === false ? 0 : 1);
    },
  });

  return {
    /** Counts one handled Telegram update. */
    updateHandled: () => updates.inc(),
    /** Counts one update the admin guard refused. */
    updateRefused: () => refused.inc(),
    /** Counts one alert delivery attempt. */
    alertDelivery: (channel: string, outcome: string) => alertDeliveries.inc({ channel, outcome }),
    /** The exposition text and its content type. */
    async render(): Promise<{ contentType: string; body: string }> {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}

/** The metrics' interface. */
export type Metrics = ReturnType<typeof createMetrics>;
