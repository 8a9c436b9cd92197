/**
 * Raising: an alert at or above the minimum level is stored, one below it is not; only the counted
 * failure types feed multiple_failures, whose alert says how many, of what, within how long; and a
 * raise that cannot even build its row still resolves (it is logged).
 */
import { beforeEach, describe, expect, it } from "vitest";
import { createOutbox } from "../../src/alerts/outbox.js";
import { createAlertRaiser, type AlertRaiser } from "../../src/alerts/raise.js";
import type { AlertInput, AlertLevel, AlertType } from "../../src/alerts/types.js";
import { alerts } from "../../src/db/schema.js";
import { databaseTargets, useTestDatabase } from "../support/database.js";
import { capturingLogger } from "../support/logger.js";
import { clearAlertTables, fakeClock, type FakeClock } from "./support.js";

describe.each(databaseTargets())("raising alerts ($name)", (target) => {
  const db = useTestDatabase(target, clearAlertTables);
  let clock: FakeClock;

  beforeEach(() => {
    clock = fakeClock();
  });

  function raiser(minLevel: AlertLevel, secrets: readonly string[] = []): { raiser: AlertRaiser; lines: string[] } {
    const { logger, lines } = capturingLogger();
    const outbox = createOutbox({ db: db(), logger, now: clock.now });
    return { raiser: createAlertRaiser({ outbox, logger, now: clock.now, minLevel, secrets }), lines };
  }
  const stored = () => db().select().from(alerts);

  it("stores an alert at the minimum level, with the secrets masked, and drops one below it", async () => {
    const { raiser: r } = raiser("warning", ["hunter2"]);
    await r.raise({ type: "bot_started", level: "info", message: "below" });
    await r.raise({ type: "bot_stopped", level: "warning", message: "at the minimum, password hunter2" });
    await r.raise({ type: "card_failed", level: "critical", message: "above" });
    const rows = await stored();
    expect(rows.map((row) => row.message)).toEqual(["at the minimum, password [REDACTED]", "above"]);
    expect(rows[0]!.occurredAt).toEqual(clock.now());
  });

  it("counts publication, tweet processing and dead-letter failures, and no other type", async () => {
    const { raiser: r } = raiser("error");
    const fail = async (type: AlertType, times: number) => {
      for (let i = 0; i < times; i++) await r.raise({ type, level: "warning", key: String(i), message: `${type} ${i}` });
    };
    await fail("card_failed", 5);
    await fail("session_failed", 5);
    expect(await stored()).toHaveLength(0);
    await fail("publication_failed", 5);
    await fail("dlq_exhausted", 5);
    await fail("tweet_processing_failed", 5);
    expect((await stored()).map((row) => [row.type, row.dedupKey, row.level])).toEqual([
      ["multiple_failures", "publication_failed", "error"],
      ["multiple_failures", "dlq_exhausted", "error"],
      ["multiple_failures", "tweet_processing_failed", "error"],
    ]);
  });

  it("says how many failures of which kind within how many minutes, with the last message", async () => {
    const { raiser: r } = raiser("info");
    for (let i = 1; i <= 5; i++) {
      await r.recordFailure("x_timeout", `try ${i}`);
      clock.advance(60_000);
    }
    const [row] = await stored();
    expect(row).toMatchObject({
      type: "multiple_failures",
      level: "error",
      dedupKey: "x_timeout",
      message: "5 x_timeout failures within 10 minutes.",
      details: { kind: "x_timeout", count: 5, window_minutes: 10, last: "try 5" },
    });
  });

  it("resolves and logs when the alert cannot even be made into a row", async () => {
    const { raiser: r, lines } = raiser("info");
    const broken = { type: "card_failed", level: "error" } as unknown as AlertInput; // a JS caller forgot the message
    await expect(r.raise(broken)).resolves.toBeUndefined();
    expect(lines.join("")).toContain("could not raise an alert");
    expect(await stored()).toHaveLength(0);
  });
});
