import type { Database } from "../db/database.js";
import { optOuts } from "../db/schema.js";
import { CachedRead } from "../kit/cached-read.js";

/** A username as stored on a post or shown by X: any case; null or undefined when unknown. */
export type KnownName = string | null | undefined;

/** Opt-outs are stored lower-case: the distinct known `usernames`, lower-cased. */
export function optOutKeys(usernames: readonly KnownName[]): string[] {
  return [...new Set(usernames.filter((name): name is string => !!name).map((name) => name.toLowerCase()))];
}

/**
 * The opt-outs as the publisher checks them right before each POST. They are read once and kept until they may
 * have changed: at the start of every publish run, at once after an opt-out or opt-in made in this process, and when
 * another replica announces one (its NOTIFY), so a check is never staler than the run or the wake-up. One read per
 * run instead of one per reply: that read was the only statement most publishes made beside the claim.
 */
export class OptOutCache {
  private readonly names: CachedRead<ReadonlySet<string>>;

  constructor(db: Database) {
    this.names = new CachedRead(async () => new Set((await db.select({ username: optOuts.username }).from(optOuts)).map((row) => row.username)));
  }

  /** Forgets what was read: the next check reads the opt-outs again. */
  invalidate(): void {
    this.names.drop();
  }

  /** Whether any of `usernames` (any case; unknown ones match nothing) has opted out. */
  async anyOptedOut(usernames: readonly KnownName[]): Promise<boolean> {
    const keys = optOutKeys(usernames);
    if (keys.length === 0) return false;
    const names = await this.names.get();
    return keys.some((key) => names.has(key));
  }
}
