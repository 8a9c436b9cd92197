import type { Database } from "../../db/database.js";
import { exponentialBackoffMs } from "../../resilience/backoff.js";
import { completeReplies, type Completion, type CompletionItem } from "../replies/complete-replies.js";

/** A completion waiting for its group's statement. */
interface Waiting {
  readonly item: CompletionItem;
  readonly resolve: (completion: Completion) => void;
  readonly reject: (error: unknown) => void;
}

/** How long a completion waits for others to join its group at most (default); a lane's batch end writes at once. */
export const COMPLETION_LINGER_MS = 20;
/**
 * How a group's failed statement is tried again before its replies fall back to a retry flagged for a reconcile:
 * 0.5, 1, 2 and 4 s, which outlasts a database restart (measured ~2.6 s) — else the replies, already on X, wait
 * for their lease to run out before the reconcile publishes them.
 */
export const COMPLETION_RETRIES: CompletionRetries = { count: 4, baseMs: 500, maxMs: 4_000 };

/** How many times a group's statement is tried again, and the backoff between tries. */
export interface CompletionRetries {
  readonly count: number;
  readonly baseMs: number;
  readonly maxMs: number;
}

/** The most completions one statement writes. */
const MAX_GROUP = 25;

/**
 * Writes publish completions in groups: a lane posts on while its completions wait (at most
 * {@link COMPLETION_LINGER_MS}, or until the lane's batch ends or the group is full), and the group is written in one
 * statement and one commit; completions that arrive while a statement is in flight go in the next one. A failed
 * statement is tried again ({@link COMPLETION_RETRIES}) before it fails its completions. A crash
 * before the write leaves those replies `publishing` with their attempt open: the lease's release flags them for a
 * reconcile, which finds them at X, so the delay never makes a reply go out twice.
 */
export function createCompletionQueue(
  db: Database,
  lingerMs: number = COMPLETION_LINGER_MS,
  retries: CompletionRetries = COMPLETION_RETRIES,
) {
  const waiting: Waiting[] = [];
  let writing = false;
  let timer: NodeJS.Timeout | undefined;

  /** One group's statement, tried again on failure (a database restart): its replies are on X already. */
  async function writeGroup(group: readonly Waiting[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        const done = await completeReplies(
          db,
          group.map(({ item }) => item),
        );
        for (const { item, resolve } of group) resolve(done.get(item.claim.reply.id)!);
        return;
      } catch (error) {
        if (attempt >= retries.count) {
          for (const { reject } of group) reject(error);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, exponentialBackoffMs(attempt + 1, retries.baseMs, retries.maxMs)));
      }
    }
  }

  async function writeGroups(): Promise<void> {
    while (waiting.length > 0) await writeGroup(waiting.splice(0, MAX_GROUP));
    writing = false;
  }

  /** Writes what waits now (and whatever joins while a statement is in flight). */
  function flush(): void {
    clearTimeout(timer);
    timer = undefined;
    if (writing || waiting.length === 0) return;
    writing = true;
    void writeGroups();
  }

  return {
    /** Completes one reply with its group; resolves with what happened to it. */
    complete(item: CompletionItem): Promise<Completion> {
      return new Promise<Completion>((resolve, reject) => {
        waiting.push({ item, resolve, reject });
        if (waiting.length >= MAX_GROUP) flush();
        else timer ??= setTimeout(flush, lingerMs).unref();
      });
    },
    flush,
  };
}

/** Completions written in groups. */
export type CompletionQueue = ReturnType<typeof createCompletionQueue>;
