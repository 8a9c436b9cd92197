/**
 * The runtime state of alerting kept in `alert_state`: the rule of each level an admin changed,
 * the set of enabled channels, and the lease that lets one worker at a time deliver (delivery is
 * in order, so two replicas must not deliver side by side).
 */
import { eq, like, sql } from "drizzle-orm";
import type { Database } from "../db/database.js";
import { alertState } from "../db/schema.js";
import { parseStoredRule } from "./rules.js";
import { isAlertChannel, isAlertLevel, type AlertChannel, type AlertLevel, type ChannelRule } from "./types.js";

const RULE_PREFIX = "rule:";
const CHANNELS_KEY = "channels";
const LEASE_KEY = "worker_lease";

/** Reads and writes the `alert_state` rows. */
export function createAlertState(db: Database) {
  return {
    /** The rules admins set, by level (levels without one use the default). */
    async customRules(): Promise<Partial<Record<AlertLevel, ChannelRule>>> {
      const rows = await db.select().from(alertState).where(like(alertState.key, `${RULE_PREFIX}%`));
      const rules: Partial<Record<AlertLevel, ChannelRule>> = {};
      for (const row of rows) {
        const level = row.key.slice(RULE_PREFIX.length);
        const rule = parseStoredRule(row.value);
        if (isAlertLevel(level) && rule) rules[level] = rule;
      }
      return rules;
    },

    async setRule(level: AlertLevel, rule: ChannelRule): Promise<void> {
      const key = `${RULE_PREFIX}${level}`;
      await db
        .insert(alertState)
        .values({ key, value: rule })
        .onConflictDoUpdate({ target: alertState.key, set: { value: rule, updatedAt: sql`now()` } });
    },

    /** Back to the default rule; false when the level had none set. */
    async deleteRule(level: AlertLevel): Promise<boolean> {
      const deleted = await db.delete(alertState).where(eq(alertState.key, `${RULE_PREFIX}${level}`)).returning();
      return deleted.length > 0;
    },

    /** The channels an admin enabled; undefined = never set (every configured channel). */
    async enabledChannels(): Promise<AlertChannel[] | undefined> {
      const [row] = await db.select().from(alertState).where(eq(alertState.key, CHANNELS_KEY));
      if (!row || !Array.isArray(row.value)) return undefined;
      return row.value.filter(isAlertChannel);
    },

    async setEnabledChannels(channels: readonly AlertChannel[]): Promise<void> {
      const value = [...channels];
      await db
        .insert(alertState)
        .values({ key: CHANNELS_KEY, value })
        .onConflictDoUpdate({ target: alertState.key, set: { value, updatedAt: sql`now()` } });
    },

    /**
     * Takes (or renews) the worker lease until `untilMs` unless another owner holds a lease that
     * has not run out at `nowMs`; true when this owner holds it now.
     */
    async acquireLease(owner: string, nowMs: number, untilMs: number): Promise<boolean> {
      const value = { owner, until: untilMs };
      const taken = await db
        .insert(alertState)
        .values({ key: LEASE_KEY, value })
        .onConflictDoUpdate({
          target: alertState.key,
          set: { value, updatedAt: sql`now()` },
          setWhere: sql`(${alertState.value}->>'owner') = ${owner} or (${alertState.value}->>'until')::bigint < ${nowMs}`,
        })
        .returning({ key: alertState.key });
      return taken.length > 0;
    },

    /** Gives the lease back (only if this owner still holds it). */
    async releaseLease(owner: string): Promise<void> {
      await db
        .update(alertState)
        .set({ value: { owner, until: 0 }, updatedAt: sql`now()` })
        .where(sql`${alertState.key} = ${LEASE_KEY} and (${alertState.value}->>'owner') = ${owner}`);
    },
  };
}

/** The alert state store. */
export type AlertState = ReturnType<typeof createAlertState>;
