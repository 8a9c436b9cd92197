import { eq, sql, type SQL } from "drizzle-orm";
import type { Database } from "../db/database.js";
import { appState } from "../db/schema.js";
import { markOpenCardsStale } from "./replies/card-state.js";

/** The `app_state` key of the pause flag. */
export const PAUSE_KEY = "paused";

/** Whether the bot is paused, and who last paused or resumed it when. */
export interface PauseState {
  readonly paused: boolean;
  /** Telegram user id of who made the latest change (absent when never changed). */
  readonly by?: number;
  readonly at?: Date;
}

/**
 * True while the bot is paused, as SQL: a statement that must not act while paused (the publish claim) checks it in
 * the same snapshot it acts on, without a round trip of its own. Reads what {@link parseStored} reads.
 */
export const PAUSED_SQL: SQL = sql`exists (select 1 from app_state s where s.key = ${PAUSE_KEY}
  and (s.value = 'true'::jsonb or s.value->'paused' = 'true'::jsonb))`;

/** What a /pause or /resume did: `changed: false` means the bot was already in that state. */
export interface PauseChange {
  readonly changed: boolean;
  readonly before: PauseState;
  readonly after: PauseState;
}

/** The JSON stored under {@link PAUSE_KEY}. */
interface StoredPause {
  paused: boolean;
  by: number | null;
  at: string | null;
}

/** Reads the stored JSON defensively: it is only jsonb, and an older build stored a bare boolean. */
function parseStored(value: unknown): PauseState {
  if (typeof value === "boolean") return { paused: value };
  if (typeof value !== "object" || value === null) return { paused: false };
  const record = value as Record<string, unknown>;
  const at = typeof record.at === "string" ? new Date(record.at) : undefined;
  return {
    paused: record.paused === true,
    ...(typeof record.by === "number" ? { by: record.by } : {}),
    ...(at !== undefined && !Number.isNaN(at.getTime()) ? { at } : {}),
  };
}

/** What a pause switch does after a change, once it is committed. */
export interface PauseHooks {
  /** Starts redrawing the cards (every open card shows the pause); must not wait for Telegram. */
  readonly redrawCards?: () => void;
  /** Asks the publisher to run now (after a resume); must not wait for it. */
  readonly wakePublisher?: () => void;
}

/**
 * The pause switch admins flip with /pause and /resume, persisted so it survives a restart. A
 * change marks every open card stale, wakes the publisher on resume, then redraws the cards.
 */
export class PauseSwitch {
  constructor(
    private readonly db: Database,
    private readonly hooks: PauseHooks = {},
  ) {}

  /** The current state (not paused when never set). */
  async state(): Promise<PauseState> {
    const rows = await this.db.select({ value: appState.value }).from(appState).where(eq(appState.key, PAUSE_KEY));
    return parseStored(rows[0]?.value);
  }

  /** Shorthand for `(await state()).paused`, for the loops that check it on every run. */
  async isPaused(): Promise<boolean> {
    return (await this.state()).paused;
  }

  /** Pauses (`by` null: an anonymous admin); pausing again keeps who paused first and when. */
  pause(by: number | null, now: Date = new Date()): Promise<PauseChange> {
    return this.set(true, by, now);
  }

  /** Resumes; `before` says who paused and when. */
  resume(by: number | null, now: Date = new Date()): Promise<PauseChange> {
    return this.set(false, by, now);
  }

  private async set(paused: boolean, by: number | null, now: Date): Promise<PauseChange> {
    const change = await this.write(paused, by, now);
    if (change.changed) {
      if (!paused) this.hooks.wakePublisher?.();
      this.hooks.redrawCards?.();
    }
    return change;
  }

  private write(paused: boolean, by: number | null, now: Date): Promise<PauseChange> {
    return this.db.transaction(async (tx) => {
      // Make sure the row exists, then lock it: two admins tapping at once are serialised and the
      // second one is told it was already done, instead of overwriting who did it.
      const initial: StoredPause = { paused: false, by: null, at: null };
      await tx.insert(appState).values({ key: PAUSE_KEY, value: initial }).onConflictDoNothing();
      const rows = await tx
        .select({ value: appState.value })
        .from(appState)
        .where(eq(appState.key, PAUSE_KEY))
        .for("update");
      const before = parseStored(rows[0]?.value);
      if (before.paused === paused) return { changed: false, before, after: before };
      const stored: StoredPause = { paused, by, at: now.toISOString() };
      await tx
        .update(appState)
        .set({ value: stored, updatedAt: sql`now()` })
        .where(eq(appState.key, PAUSE_KEY));
      await markOpenCardsStale(tx);
      return { changed: true, before, after: { paused, ...(by !== null ? { by } : {}), at: now } };
    });
  }
}
