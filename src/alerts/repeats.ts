/**
 * Shows the repeats folded into delivered alerts: Telegram edits its message to "×N more" (at most
 * once per EDIT_MIN_GAP_MS); channels that cannot edit get one follow-up once the dedup window is
 * over. Repeats still not shown after REPEAT_GIVE_UP_MS are given up on.
 */
import { and, asc, eq, sql } from "drizzle-orm";
import type { Database } from "../db/database.js";
import { alerts } from "../db/schema.js";
import type { Logger } from "../logger.js";
import type { ChannelAttempt } from "./channel-attempt.js";
import type { ChannelGate } from "./channel-gate.js";
import type { ChannelDriver } from "./channels.js";
import { alertView } from "./records.js";
import type { Routing } from "./routing.js";
import { isAlertChannel, type AlertChannel } from "./types.js";

/** Repeats shown per run at most. */
const MAX_UPDATES_PER_RUN = 20;
/** A Telegram message is edited at most this often. */
const EDIT_MIN_GAP_MS = 15_000;
/** Past this age, repeats that could not be shown are given up on. */
const REPEAT_GIVE_UP_MS = 24 * 3_600_000;

/** What {@link createRepeatShower} needs. */
export interface RepeatShowerDeps {
  readonly db: Database;
  readonly logger: Logger;
  readonly now: () => Date;
  readonly windowMs: number;
  readonly drivers: Partial<Record<AlertChannel, ChannelDriver>>;
  readonly gate: ChannelGate;
  readonly attempt: ChannelAttempt;
}

/** Edits (or follows up) delivered alerts whose repeats are not shown yet; resolves with how many were shown. */
export type ShowRepeats = (routing: Routing) => Promise<number>;

/** Builds the {@link ShowRepeats} of the delivery worker. */
export function createRepeatShower(deps: RepeatShowerDeps): ShowRepeats {
  const { db, logger, now } = deps;
  const lastEditAt = new Map<number, number>();
  return async (routing) => {
    let shown = 0;
    const rows = await db
      .select()
      .from(alerts)
      .where(and(eq(alerts.status, "delivered"), sql`${alerts.repeatCount} > ${alerts.repeatShown}`))
      .orderBy(asc(alerts.id))
      .limit(MAX_UPDATES_PER_RUN);
    for (const [id, editedAt] of lastEditAt) if (now().getTime() - editedAt > EDIT_MIN_GAP_MS) lastEditAt.delete(id);
    for (const row of rows) {
      const at = now().getTime();
      const channel = isAlertChannel(row.deliveredChannel) ? row.deliveredChannel : undefined;
      const driver = channel ? deps.drivers[channel] : undefined;
      const giveUp = at - (row.lastRepeatAt ?? row.occurredAt).getTime() > REPEAT_GIVE_UP_MS;
      if (!channel || !driver || giveUp) {
        await db.update(alerts).set({ repeatShown: row.repeatCount, updatedAt: now() }).where(eq(alerts.id, row.id));
        continue;
      }
      if (deps.gate.restEnd(channel, at) !== undefined) continue;
      if (driver.editable) {
        if (at - (lastEditAt.get(row.id) ?? 0) < EDIT_MIN_GAP_MS) continue;
      } else if (at < row.occurredAt.getTime() + deps.windowMs) {
        continue; // one follow-up when the window is over, not one per repeat
      }
      try {
        const messageId = await deps.attempt(
          channel,
          row.id,
          "update",
          (d) => d.update(alertView(row), row.telegramMessageId),
          routing.health,
        );
        lastEditAt.set(row.id, now().getTime());
        await db
          .update(alerts)
          .set({ repeatShown: row.repeatCount, telegramMessageId: messageId ?? row.telegramMessageId, updatedAt: now() })
          .where(eq(alerts.id, row.id));
        shown += 1;
      } catch (error) {
        logger.warn({ alert: row.id, channel, err: error }, "could not show an alert's repeats; will try again");
      }
    }
    return shown;
  };
}
