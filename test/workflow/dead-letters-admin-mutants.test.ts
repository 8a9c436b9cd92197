/**
 * /dlq's buttons at their edges: a database refusal that is not the open-entry conflict surfaces as an error instead
 * of a misleading answer, a press on an entry being retried names the button, and a background failure after a
 * press is logged with the entry and the cause.
 */
import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { deadLetters, type DeadLetterStatus } from "../../src/db/schema.js";
import type { Logger } from "../../src/logger.js";
import { createDeadLetters, type DeadLetterDeps } from "../../src/workflow/dead-letters.js";
import { databaseTargets, useTestDatabase } from "../support/database.js";
import { DEAD_LETTER_NOW, DEAD_LETTER_SETTINGS, seedDeadLetter } from "../support/dead-letter-queue.js";
import { capturingLogger, silentLogger } from "../support/logger.js";
import { clearWorkflowTables } from "../support/workflow-fixtures.js";

const NOW = DEAD_LETTER_NOW;
const SETTINGS = DEAD_LETTER_SETTINGS;
const WARN = 40;

type Line = Record<string, unknown> & { level: number; msg: string };

describe.each(databaseTargets())("/dlq buttons at their edges on $name", (target) => {
  const db = useTestDatabase(target, async (d) => {
    await d.execute(sql`alter table dead_letters drop constraint if exists admin_mutants_refuse`);
    await clearWorkflowTables(d);
  });
  /** A failed reply with a dead letter in `status` (a pending one due in an hour). */
  const seed = (status: DeadLetterStatus) =>
    // A pending one is due later, so a retry run started by another press leaves it alone.
    seedDeadLetter(db(), { reply: "failed", entry: status, nextRetryAt: status === "pending" ? new Date(NOW.getTime() + 3_600_000) : null, expiresAt: NOW });

  function queue(logger: Logger = silentLogger(), overrides: Partial<DeadLetterDeps> = {}) {
    return createDeadLetters({ db: db(), logger, settings: SETTINGS, now: () => NOW, onChange: () => Promise.resolve(), ...overrides });
  }

  const entryOf = async (id: number) => (await db().select().from(deadLetters).where(eq(deadLetters.id, id)))[0]!;

  it("Retry now that the database refuses for another reason than an open entry throws, and leaves the entry as it was", async () => {
    const { entryId } = await seed("exhausted");
    const before = await entryOf(entryId);
    await db().execute(sql.raw(`alter table dead_letters add constraint admin_mutants_refuse check (id <> ${entryId} or status <> 'pending')`));
    await expect(queue().retryNow(entryId)).rejects.toThrow();
    expect(await entryOf(entryId)).toEqual(before);
  });

  it("Discard of an entry being retried is refused naming the Discard button", async () => {
    const { entryId } = await seed("retrying");
    expect(await queue().discard(entryId)).toEqual({ ok: false, message: `#${entryId} is being retried right now; nothing to discard.` });
    expect((await entryOf(entryId)).status).toBe("retrying");
  });

  it("a failed background run after Retry now, and a failed redraw after Discard, are logged at warn with the entry and the cause", async () => {
    const retried = await seed("exhausted");
    const discarded = await seed("pending");
    const { logger, lines } = capturingLogger();
    const q = queue(logger, { onChange: () => Promise.reject(new Error("telegram down")) });
    const result = await q.retryNow(retried.entryId);
    expect(result.ok).toBe(true);
    await expect(result.done).rejects.toThrow("telegram down");
    expect((await q.discard(discarded.entryId)).ok).toBe(true);

    const line = (msg: string) => {
      const found = lines.map((l) => JSON.parse(l) as Line).filter((l) => l.msg === msg);
      expect(found, msg).toHaveLength(1);
      return found[0]!;
    };
    await expect.poll(() => lines.some((l) => l.includes("cards not redrawn after a discard"))).toBe(true);
    const run = line("dead-letter retry run failed");
    expect(run).toMatchObject({ level: WARN, trace: retried.tweetId, deadLetter: retried.entryId, err: { message: "telegram down" } });
    const redraw = line("cards not redrawn after a discard");
    expect(redraw).toMatchObject({ level: WARN, trace: discarded.tweetId, deadLetter: discarded.entryId, err: { message: "telegram down" } });
  });
});
