/**
 * The delivery worker (run on ALERT_CRON): holds a lease in `alert_state` so one worker at a time
 * delivers, then walks pending alerts in id order. The first alert that cannot go out yet stops the
 * run, so alerts never overtake each other; an alert whose handling throws (a bad row, not a
 * channel failure) is given up at once so it cannot hold the line. Then it shows repeats and prunes old rows.
 */
import { randomUUID } from "node:crypto";
import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import { and, asc, eq } from "drizzle-orm";
import type { Database } from "../db/database.js";
import { alerts } from "../db/schema.js";
import type { Logger } from "../logger.js";
import type { Outbox } from "./outbox.js";
import type { ShowRepeats } from "./repeats.js";
import type { Router } from "./routing.js";
import type { SendAlert } from "./send-alert.js";
import type { AlertState } from "./state.js";
import { rootMessage } from "../kit/error-chain.js";
import { singleFlight } from "../kit/single-flight.js";
import { clip } from "../text/clip.js";

/** Alerts handled per run at most (the rest wait for the next run). */
const MAX_ALERTS_PER_RUN = 50;
const LEASE_MS = 120_000;

/** What one delivery run did. */
export interface DeliveryRunResult {
  delivered: number;
  merged: number;
  /** Rounds in which every channel failed (the alert is retried later). */
  failed: number;
  dead: number;
  /** Edits or follow-ups showing repeats. */
  updated: number;
  /** True when a pending alert had to wait (not due, rate limit, failure): later ones waited too. */
  blocked: boolean;
  /** True when another worker held the lease and this run did nothing. */
  skipped: boolean;
}

/** What {@link createDeliveryWorker} needs. */
export interface DeliveryWorkerDeps {
  readonly db: Database;
  readonly logger: Logger;
  readonly now: () => Date;
  readonly state: AlertState;
  readonly outbox: Outbox;
  readonly router: Router;
  readonly sendAlert: SendAlert;
  readonly showRepeats: ShowRepeats;
  readonly prune: () => Promise<void>;
}

/** Delivers due alerts in order; one run at a time in this process (a second call joins it). */
export function createDeliveryWorker(deps: DeliveryWorkerDeps): () => Promise<DeliveryRunResult> {
  const { db, logger, now, state } = deps;
  const owner = randomUUID();

  async function giveUp(id: number, error: unknown): Promise<void> {
    await db
      .update(alerts)
      .set({ status: "dead", lastError: clip(`could not be handled: ${rootMessage(error)}`, 1_000), updatedAt: now() })
      .where(and(eq(alerts.id, id), eq(alerts.status, "pending")));
  }

  async function run(): Promise<DeliveryRunResult> {
    const result: DeliveryRunResult = { delivered: 0, merged: 0, failed: 0, dead: 0, updated: 0, blocked: false, skipped: false };
    await deps.outbox.drain();
    const lease = () => state.acquireLease(owner, now().getTime(), now().getTime() + LEASE_MS);
    if (!(await lease())) return { ...result, skipped: true };
    try {
      const routing = await deps.router.load();
      for (let handled = 0; handled < MAX_ALERTS_PER_RUN; handled++) {
        if (handled > 0) {
          await yieldToEventLoop(); // PGlite runs on this thread: let polling and timers breathe
          if (!(await lease())) break;
        }
        const [row] = await db.select().from(alerts).where(eq(alerts.status, "pending")).orderBy(asc(alerts.id)).limit(1);
        if (!row) break;
        if (row.nextAttemptAt.getTime() > now().getTime()) {
          result.blocked = true;
          break;
        }
        let answer: Awaited<ReturnType<SendAlert>>;
        try {
          answer = await deps.sendAlert(row, routing);
        } catch (error) {
          // A row whose handling throws would throw again on every run and hold up every later
          // alert for good: it is given up (an alert dead letter, reprocessable from the admin
          // API) and the run goes on. If even that write fails, the database is away: the run ends.
          logger.error({ err: error, alert: row.id, type: row.type }, "alert could not be handled; given up, the next ones go on");
          await giveUp(row.id, error);
          result.dead += 1;
          continue;
        }
        const { outcome, merged } = answer;
        result.merged += merged;
        if (outcome === "delivered") result.delivered += 1;
        else if (outcome === "dead") result.dead += 1;
        else if (outcome === "failed" || outcome === "wait") {
          if (outcome === "failed") result.failed += 1;
          result.blocked = true;
          break;
        }
      }
      result.updated += await deps.showRepeats(routing);
      await deps.prune();
    } finally {
      await state.releaseLease(owner).catch((error: unknown) => logger.warn({ err: error }, "could not release the alert lease"));
    }
    return result;
  }

  return singleFlight(run);
}
