import { and, asc, eq, inArray, sql } from "drizzle-orm";
import type { Database } from "../db/database.js";
import { optOuts, watchItems } from "../db/schema.js";
import { discardDeadLetters } from "./dead-letters/cancel.js";
import { optOutKeys, type KnownName } from "./opt-out-cache.js";
import { cancelRepliesToAuthor } from "./replies/cancel-replies.js";

/** What can be watched: an X account (`target`), an X search query (`search`), a topic keyword (`topic`). */
export type WatchKind = "target" | "search" | "topic";

/** One watched account, search or topic as stored. */
export interface WatchItem {
  readonly id: number;
  readonly kind: WatchKind;
  readonly value: string;
  readonly createdBy: number | null;
  readonly createdAt: Date;
}

/** A user-typed value after validation: the form to store, or why it cannot be stored. */
export type Normalised = { readonly ok: true; readonly value: string } | { readonly ok: false; readonly error: string };

/** The outcome of adding an item or an opt-out; `added: false` means it was already there. */
export type AddResult = { readonly ok: true; readonly added: boolean } | { readonly ok: false; readonly error: string };

/** The outcome of an opt-out: also how many unpublished replies to the author it cancelled. */
export type OptOutResult =
  | { readonly ok: true; readonly added: boolean; readonly cancelled: number }
  | { readonly ok: false; readonly error: string };

/** What the watchlist does after a committed change. */
export interface WatchlistHooks {
  /** Starts redrawing the cards (cancelled replies show it); must not wait for Telegram. */
  readonly redrawCards?: () => void;
  /** An opt-out was added or removed (the publishers' opt-out caches read them again). */
  readonly optOutsChanged?: () => void;
}

/** Longest X search query we accept (X's own limit for recent search on the basic tiers). */
export const MAX_SEARCH_LENGTH = 512;
/** Longest topic keyword or phrase we accept. */
export const MAX_TOPIC_LENGTH = 100;

const USERNAME = /^[A-Za-z0-9_]{1,15}$/;
const HAS_LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;

/** Code points, not UTF-16 units, so an emoji counts as one character like X counts it. */
const lengthOf = (text: string): number => [...text].length;

/** Validates an X username: optional leading @, then 1–15 letters, digits or underscores; the case is kept. */
export function normaliseUsername(raw: string): Normalised {
  const value = raw.trim().replace(/^@/, "");
  if (!USERNAME.test(value)) {
    return { ok: false, error: "an X username is 1–15 letters, digits or _ (with or without @)" };
  }
  return { ok: true, value };
}

/** Validates and normalises a value of the given kind the way {@link Watchlist} stores it. */
export function normaliseWatchValue(kind: WatchKind, raw: string): Normalised {
  // NFC so that "café" typed with a combining accent is the same item as the precomposed one.
  const text = raw.normalize("NFC").trim().replace(/\s+/gu, " ");
  switch (kind) {
    case "target":
      return normaliseUsername(text);
    case "search":
      if (text === "" || lengthOf(text) > MAX_SEARCH_LENGTH) {
        return { ok: false, error: `a search query is 1–${MAX_SEARCH_LENGTH} characters` };
      }
      return { ok: true, value: text };
    case "topic": {
      const value = text.toLowerCase();
      if (value === "" || lengthOf(value) > MAX_TOPIC_LENGTH) {
        return { ok: false, error: `a topic is 1–${MAX_TOPIC_LENGTH} characters` };
      }
      // A topic of punctuation only could never match on word boundaries.
      if (!HAS_LETTER_OR_DIGIT.test(value)) return { ok: false, error: "a topic needs a letter or digit" };
      return { ok: true, value };
    }
  }
}

/** Which of `usernames` (any case; null for unknown) have opted out, lower-cased. */
export async function optedOutAmong(db: Database, usernames: readonly KnownName[]): Promise<Set<string>> {
  const lower = optOutKeys(usernames);
  if (lower.length === 0) return new Set();
  const rows = await db.select({ username: optOuts.username }).from(optOuts).where(inArray(optOuts.username, lower));
  return new Set(rows.map((row) => row.username));
}

/** Target accounts, searches, topics and opt-outs, as managed from Telegram. */
export class Watchlist {
  constructor(
    private readonly db: Database,
    private readonly hooks: WatchlistHooks = {},
  ) {}

  /** Adds an item unless an equal one (case-insensitively) is already there. */
  async add(kind: WatchKind, raw: string, by: number | null): Promise<AddResult> {
    const normalised = normaliseWatchValue(kind, raw);
    if (!normalised.ok) return normalised;
    // The unique index on (kind, lower(value)) decides, so two admins adding at once cannot duplicate.
    const inserted = await this.db
      .insert(watchItems)
      .values({ kind, value: normalised.value, createdBy: by })
      .onConflictDoNothing()
      .returning({ id: watchItems.id });
    return { ok: true, added: inserted.length > 0 };
  }

  /** Removes the item equal (case-insensitively) to `raw`; false when there was none or `raw` is invalid. */
  async remove(kind: WatchKind, raw: string): Promise<boolean> {
    const normalised = normaliseWatchValue(kind, raw);
    if (!normalised.ok) return false;
    const deleted = await this.db
      .delete(watchItems)
      .where(and(eq(watchItems.kind, kind), sql`lower(${watchItems.value}) = lower(${normalised.value})`))
      .returning({ id: watchItems.id });
    return deleted.length > 0;
  }

  /** The items of one kind in the order they were added (the numbering /searches remove uses). */
  async list(kind: WatchKind): Promise<WatchItem[]> {
    return this.db.select().from(watchItems).where(eq(watchItems.kind, kind)).orderBy(asc(watchItems.id));
  }

  /**
   * Records that `username` never gets a reply, and in the same transaction cancels every
   * unpublished reply to their posts (awaiting approval, approved or scheduled, retrying, failed)
   * and closes their dead letters. Run again for someone already opted out, it still cancels what
   * is left. A reply being published right now is stopped by the publisher's own check before its POST.
   */
  async optOut(username: string, by: number | null, now: Date = new Date()): Promise<OptOutResult> {
    const normalised = normaliseUsername(username);
    if (!normalised.ok) return normalised;
    const lower = normalised.value.toLowerCase();
    const result = await this.db.transaction(async (tx) => {
      const inserted = await tx
        .insert(optOuts)
        .values({ username: lower, createdBy: by })
        .onConflictDoNothing()
        .returning({ username: optOuts.username });
      const cancelled = await cancelRepliesToAuthor(tx, lower, `@${lower} opted out`);
      await discardDeadLetters(tx, cancelled, now);
      return { ok: true as const, added: inserted.length > 0, cancelled: cancelled.length };
    });
    if (result.added) this.hooks.optOutsChanged?.();
    if (result.cancelled > 0) this.hooks.redrawCards?.();
    return result;
  }

  /** Removes an opt-out; false when the user had not opted out (or the name is invalid). */
  async optIn(username: string): Promise<boolean> {
    const normalised = normaliseUsername(username);
    if (!normalised.ok) return false;
    const deleted = await this.db
      .delete(optOuts)
      .where(eq(optOuts.username, normalised.value.toLowerCase()))
      .returning({ username: optOuts.username });
    if (deleted.length === 0) return false;
    this.hooks.optOutsChanged?.();
    return true;
  }

  /** Whether `username` (any case, with or without @) has opted out. */
  async isOptedOut(username: string): Promise<boolean> {
    const normalised = normaliseUsername(username);
    return normalised.ok && (await optedOutAmong(this.db, [normalised.value])).size > 0;
  }

  /** Every opted-out username (lower-case, without @), alphabetically. */
  async listOptOuts(): Promise<string[]> {
    const rows = await this.db.select({ username: optOuts.username }).from(optOuts).orderBy(asc(optOuts.username));
    return rows.map((row) => row.username);
  }
}

// Letters, digits, combining marks and "_" continue a word: "cafe\u0301" stays one word, and so does
// "#rust_lang" (X treats it as one hashtag), so the topic "rust" does not match inside either.
const WORD_CHAR = String.raw`[\p{L}\p{N}\p{M}_]`;

function topicPattern(topic: string): string {
  return topic
    .normalize("NFC")
    .trim()
    .split(/\s+/u)
    .map((word) => word.replace(/[.*+?^${}()|[\]\\/]/g, String.raw`\$&`))
    .join(String.raw`\s+`);
}

/**
 * A predicate that is true when `text` contains any of `topics` as a whole word or whole phrase,
 * case-insensitively; with no topics every text passes (topics narrow, they are not required).
 */
export function topicMatcher(topics: readonly string[]): (text: string) => boolean {
  const patterns = topics.filter((topic) => HAS_LETTER_OR_DIGIT.test(topic)).map(topicPattern);
  if (patterns.length === 0) return () => true;
  // \b knows only ASCII word characters, so "café" and "c++" need explicit look-around boundaries.
  const regex = new RegExp(`(?<!${WORD_CHAR})(?:${patterns.join("|")})(?!${WORD_CHAR})`, "iu");
  return (text) => regex.test(text.normalize("NFC"));
}
