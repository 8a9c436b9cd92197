import { sql } from "drizzle-orm";
import { boolean, index, integer, pgTable, serial, text, timestamp } from "drizzle-orm/pg-core";
import { jsonb } from "./json-column.js";

/**
 * The alert outbox, history and dead-letter list in one: `raise()` inserts `pending`, the worker
 * delivers in id order (`delivered`), folds repeats of a delivered alert into it (`merged`, counted
 * in its `repeat_count`) and gives up after its retries (`dead`). Moves live in src/alerts/send-alert.ts and delivery.ts.
 */
export const alerts = pgTable(
  "alerts",
  {
    id: serial("id").primaryKey(),
    type: text("type").notNull(),
    level: text("level").notNull(),
    /** Deduplication key within the type ("" when the caller gave none). */
    dedupKey: text("dedup_key").notNull().default(""),
    message: text("message").notNull(),
    details: jsonb("details").$type<Record<string, string | number | boolean | null>>().notNull().default({}),
    occurredAt: timestamp("occurred_at", { withTimezone: true }).notNull(),
    status: text("status").$type<AlertStatus>().notNull().default("pending"),
    /** Delivery rounds in which every channel failed (rate limits do not count). */
    failedAttempts: integer("failed_attempts").notNull().default(0),
    /** A pending alert (and so every later one: delivery is in order) waits until this instant. */
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true }).notNull(),
    lastError: text("last_error"),
    /** Channels an admin forced when reprocessing (instead of the level's rule). */
    forcedChannels: jsonb("forced_channels").$type<string[]>(),
    /** The delivered alert this repeat was folded into. */
    mergedInto: integer("merged_into"),
    /** Repeats folded into this alert, and how many of them its delivered message shows. */
    repeatCount: integer("repeat_count").notNull().default(0),
    repeatShown: integer("repeat_shown").notNull().default(0),
    lastRepeatAt: timestamp("last_repeat_at", { withTimezone: true }),
    deliveredChannel: text("delivered_channel"),
    deliveredAt: timestamp("delivered_at", { withTimezone: true }),
    /** The Telegram message showing this alert (edited as repeats come in). */
    telegramMessageId: integer("telegram_message_id"),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().default(sql`now()`),
  },
  (table) => [
    index("alerts_open_idx").on(table.id).where(sql`${table.status} = 'pending'`),
    index("alerts_dedup_idx").on(table.type, table.dedupKey, table.occurredAt),
    index("alerts_status_idx").on(table.status, table.id),
    index("alerts_unshown_repeats_idx")
      .on(table.id)
      .where(sql`${table.status} = 'delivered' and ${table.repeatCount} > ${table.repeatShown}`),
  ],
);

/** The states of an alert. */
export type AlertStatus = "pending" | "delivered" | "merged" | "dead";

/** One try of one channel for one alert: the source of the channel statistics and channel health. */
export const alertDeliveries = pgTable(
  "alert_deliveries",
  {
    id: serial("id").primaryKey(),
    alertId: integer("alert_id").notNull(),
    channel: text("channel").notNull(),
    /** `send` (the alert), `update` (an edit or follow-up showing its repeats). */
    kind: text("kind").$type<"send" | "update">().notNull(),
    ok: boolean("ok").notNull(),
    latencyMs: integer("latency_ms").notNull(),
    error: text("error"),
    at: timestamp("at", { withTimezone: true }).notNull(),
  },
  (table) => [index("alert_deliveries_channel_idx").on(table.channel, table.id)],
);

/** Alerting state changed at runtime: channel rules per level, enabled channels, the worker lease. */
export const alertState = pgTable("alert_state", {
  key: text("key").primaryKey(),
  value: jsonb("value").notNull(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().default(sql`now()`),
});
