import type { Database } from "../../db/database.js";
import { completeReplies, type Completion, type CompletionItem } from "../replies/complete-replies.js";

/** A completion waiting for its group's statement. */
interface Waiting {
  readonly item: CompletionItem;
  readonly resolve: (completion: Completion) => void;
  readonly reject: (error: unknown) => void;
}

/** How long a completion waits for others to join its group at most (default); a lane's batch end writes at once. */
export const COMPLETION_LINGER_MS = 20;
/** The most completions one statement writes. */
const MAX_GROUP = 25;

/**
 * Writes publish completions in groups: a lane posts on while its completions wait (at most
 * {@link COMPLETION_LINGER_MS}, or until the lane's batch ends or the group is full), and the group is written in one
 * statement and one commit; completions that arrive while a statement is in flight go in the next one. A crash
 * before the write leaves those replies `publishing` with their attempt open: the lease's release flags them for a
 * reconcile, which finds them at X, so the delay never makes a reply go out twice.
 */
export function createCompletionQueue(db: Database, lingerMs: number = COMPLETION_LINGER_MS) {
  const waiting: Waiting[] = [];
  let writing = false;
  let timer: NodeJS.Timeout | undefined;

  async function writeGroups(): Promise<void> {
    while (waiting.length > 0) {
      const group = waiting.splice(0, MAX_GROUP);
      try {
        const done = await completeReplies(
          db,
          group.map(({ item }) => item),
        );
        for (const { item, resolve } of group) resolve(done.get(item.claim.reply.id)!);
      } catch (error) {
        for (const { reject } of group) reject(error);
      }
    }
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
