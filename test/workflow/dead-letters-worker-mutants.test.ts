/**
 * What the dead-letter worker tells the operator and the rest of the bot: the log line of each entry it hands back,
 * settles or gives up (under the trace of the post its reply answers), the wake-ups without a publisher, and a run
 * asked for while one is under way, which looks once more and adds that pass to what every caller is told.
 */
import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { deadLetters, replies, type DeadLetterStatus, type ReplyStatus } from "../../src/db/schema.js";
import type { Logger } from "../../src/logger.js";
import type { DeadLetterDeps } from "../../src/workflow/dead-letters.js";
import { databaseTargets, useTestDatabase } from "../support/database.js";
import { countingDeadLetters, DEAD_LETTER_NOW, seedDeadLetter } from "../support/dead-letter-queue.js";
import { capturingLogger } from "../support/logger.js";
import { clearWorkflowTables } from "../support/workflow-fixtures.js";

const NOW = DEAD_LETTER_NOW;
/** pino's numeric levels. */
const INFO = 30;
const WARN = 40;
const ERROR = 50;

type Line = Record<string, unknown> & { level: number; msg: string };

describe.each(databaseTargets())("dead-letter worker, as the operator sees it, on $name", (target) => {
  const db = useTestDatabase(target, async (d) => {
    await d.execute(sql`alter table replies drop constraint if exists worker_mutants_poison`);
    await d.execute(sql`alter table dead_letters drop constraint if exists worker_mutants_poison`);
    await clearWorkflowTables(d);
  });
  /** A reply in `status` to a new post, with a dead letter in `entryStatus` due now. */
  const seed = (status: ReplyStatus, entryStatus: DeadLetterStatus = "pending") =>
    seedDeadLetter(db(), { reply: status, entry: entryStatus, nextRetryAt: NOW, expiresAt: new Date(NOW.getTime() + 3_600_000) });

  const queue = (logger: Logger, overrides: Partial<DeadLetterDeps> = {}) => countingDeadLetters(db(), logger, overrides);

  function captured() {
    const { logger, lines } = capturingLogger();
    const parsed = () => lines.map((line) => JSON.parse(line) as Line);
    /** The one line with this message. */
    const line = (msg: string) => {
      const found = parsed().filter((l) => l.msg === msg);
      expect(found, msg).toHaveLength(1);
      return found[0]!;
    };
    return { logger, parsed, line };
  }

  const entryOf = async (id: number) => (await db().select().from(deadLetters).where(eq(deadLetters.id, id)))[0]!;

  it("logs a hand-back at info and a settling without a retry at warn, each under its reply's trace with the reply's state", async () => {
    const back = await seed("failed");
    const done = await seed("published");
    const { logger, line } = captured();
    expect(await queue(logger).q.runDue()).toEqual({ retried: 1, settled: 0 });

    expect(line("dead letter handed back to the publisher")).toMatchObject({
      level: INFO,
      trace: back.tweetId,
      deadLetter: back.entryId,
      replyId: back.replyId,
    });
    expect(line("dead letter settled without a retry")).toMatchObject({
      level: WARN,
      trace: done.tweetId,
      deadLetter: done.entryId,
      replyId: done.replyId,
      reply: "published",
    });
    expect(line("dead-letter retries handed to the publisher")).toMatchObject({ level: INFO, retried: 1, settled: 0 });
  });

  it("logs nothing about the run when it handed nothing back", async () => {
    await seed("published");
    const { logger, parsed } = captured();
    expect(await queue(logger).q.runDue()).toEqual({ retried: 0, settled: 0 });
    expect(parsed().map((l) => l.msg)).toEqual(["dead letter settled without a retry"]);
  });

  it("an entry whose retry throws is given up with an error line under its reply's trace naming the entry", async () => {
    const poisoned = await seed("failed");
    await db().execute(sql.raw(`alter table replies add constraint worker_mutants_poison check (id <> ${poisoned.replyId} or status <> 'approved')`));
    const { logger, line } = captured();
    const { q, exhausted } = queue(logger);
    expect(await q.runDue()).toEqual({ retried: 0, settled: 0 });

    const given = line("dead letter could not be retried; given up, the others go on");
    expect(given).toMatchObject({ level: ERROR, trace: poisoned.tweetId, deadLetter: poisoned.entryId, replyId: poisoned.replyId });
    expect(JSON.stringify(given.err)).toContain("worker_mutants_poison");
    expect(await entryOf(poisoned.entryId)).toMatchObject({ status: "exhausted", nextRetryAt: null, updatedAt: NOW });
    expect(exhausted.map((e) => e.id)).toEqual([poisoned.entryId]);
  });

  it("a retrying entry that cannot be settled is logged under its trace, stays retrying, and is settled by a later run", async () => {
    const stuck = await seed("failed", "retrying");
    await db().execute(sql.raw(`alter table dead_letters add constraint worker_mutants_poison check (id <> ${stuck.entryId} or status = 'retrying')`));
    const { logger, line } = captured();
    expect(await queue(logger).q.runDue()).toEqual({ retried: 0, settled: 1 });
    expect(line("dead letter could not be settled; the others go on")).toMatchObject({
      level: ERROR,
      trace: stuck.tweetId,
      deadLetter: stuck.entryId,
      replyId: stuck.replyId,
    });
    expect((await entryOf(stuck.entryId)).status).toBe("retrying");

    await db().execute(sql`alter table dead_letters drop constraint worker_mutants_poison`);
    expect(await queue(logger).q.runDue()).toEqual({ retried: 0, settled: 1 });
    expect(await entryOf(stuck.entryId)).toMatchObject({ status: "pending", retryCount: 1 });
  });

  it("without a publisher the replies are still handed back and the cards redrawn (the publish job sends them)", async () => {
    const { replyId, entryId } = await seed("failed");
    const { logger } = captured();
    let changes = 0;
    const { q } = queue(logger, {
      publisher: undefined,
      onChange: () => {
        changes++;
        return Promise.resolve();
      },
    });
    expect(await q.runDue()).toEqual({ retried: 1, settled: 0 });
    expect((await entryOf(entryId)).status).toBe("retrying");
    expect((await db().select().from(replies).where(eq(replies.id, replyId)))[0]!.status).toBe("approved");
    expect(changes).toBe(1);
  });

  it("a run asked for during a run looks once more: what became due meanwhile is handled, and both callers get the sum", async () => {
    await seed("failed");
    const { logger } = captured();
    let late: { entryId: number; stale: number } | undefined;
    let second: Promise<unknown> | undefined;
    const { q, calls } = queue(logger, {
      publisher: {
        runOnce: async () => {
          calls.publisher++;
          if (late) return;
          // While the first run wakes the publisher, one entry becomes due and another is left retrying.
          late = { entryId: (await seed("failed")).entryId, stale: (await seed("failed", "retrying")).entryId };
          second = q.runDue();
        },
      },
    });
    const first = await q.runDue();
    expect(first).toEqual({ retried: 2, settled: 1 });
    expect(await second).toEqual(first);
    expect((await entryOf(late!.entryId)).status).toBe("retrying");
    expect(await entryOf(late!.stale)).toMatchObject({ status: "pending", retryCount: 1 });
    expect(calls.publisher).toBe(2);
  });
});
