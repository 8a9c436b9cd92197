/**
 * One bad alert row must not hold up the alerts behind it. One whose handling throws (here the
 * database refuses to fold it into its delivered twin) becomes an alert dead letter with the
 * reason and the run delivers the rest; one the database refuses to store is dropped and logged.
 */
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { alerts } from "../../src/db/schema.js";
import { ADMIN_CHAT } from "../support/app-harness.js";
import { databaseTargets, useTestDatabase } from "../support/database.js";
import { startTelegramEmulator, type TelegramEmulator } from "../support/telegram-emulator/index.js";
import { alertingFor, clearAlertTables, fakeClock, startWebhookReceiver } from "./support.js";

describe.each(databaseTargets())("alert delivery isolation ($name)", (target) => {
  const db = useTestDatabase(target, clearAlertTables);
  let tg: TelegramEmulator;

  beforeAll(async () => {
    tg = await startTelegramEmulator();
  });
  afterAll(async () => {
    await tg.close();
  });
  beforeEach(async () => {
    tg.reset();
    await db().execute(sql`alter table alerts drop constraint if exists poisoned_alert`);
  });

  it("a pending alert whose handling throws is given up with the reason; the alerts after it are delivered", async () => {
    const clock = fakeClock();
    const { alerting } = alertingFor(tg, db(), clock, { ALERT_DEDUP_WINDOW_SECONDS: "300" });
    await alerting.raise({ type: "crash_recovered", level: "warning", key: "k1", message: "first of k1" });
    expect(await alerting.deliverDue()).toMatchObject({ delivered: 1 });

    clock.advance(1_000);
    await alerting.raise({ type: "crash_recovered", level: "warning", key: "k1", message: "repeat of k1" });
    clock.advance(1_000);
    await alerting.raise({ type: "crash_recovered", level: "warning", key: "k2", message: "behind the bad one" });
    const [poisoned] = await db().select().from(alerts).where(eq(alerts.message, "repeat of k1"));
    await db().execute(sql.raw(`alter table alerts add constraint poisoned_alert check (id <> ${poisoned!.id} or status <> 'merged')`));

    expect(await alerting.deliverDue()).toMatchObject({ delivered: 1, dead: 1, blocked: false });
    expect(tg.botMessages(ADMIN_CHAT.id).map((m) => m.text).filter((t) => t.includes("behind the bad one"))).toHaveLength(1);
    const [given] = await db().select().from(alerts).where(eq(alerts.id, poisoned!.id));
    expect(given).toMatchObject({ status: "dead" });
    expect(given!.lastError).toMatch(/^could not be handled: .*poisoned_alert/);

    // Nothing is left to jam the next run.
    expect(await alerting.deliverDue()).toMatchObject({ delivered: 0, dead: 0, blocked: false });
  });

  it("sent, but the database refuses to record it: never sent again on a fallback channel", async () => {
    const hook = await startWebhookReceiver();
    try {
      const clock = fakeClock();
      const { alerting } = alertingFor(tg, db(), clock, { ALERT_WEBHOOK_URL: hook.url });
      await alerting.raise({ type: "crash_recovered", level: "warning", key: "k1", message: "sent once only" });
      await db().execute(sql`alter table alerts add constraint poisoned_alert check (status <> 'delivered')`);
      await alerting.deliverDue();
      expect(tg.botMessages(ADMIN_CHAT.id).filter((m) => m.text.includes("sent once only"))).toHaveLength(1);
      expect(hook.received).toEqual([]);
    } finally {
      await hook.close();
    }
  });

  it("an alert with a NUL character (which Postgres refuses) is stored without it and sent, and so are the alerts after it", async () => {
    const clock = fakeClock();
    const { alerting } = alertingFor(tg, db(), clock);
    await alerting.raise({ type: "crash_recovered", level: "warning", key: "nul", message: "bad \u0000byte", details: { body: "x\u0000y" } });
    await alerting.raise({ type: "crash_recovered", level: "warning", key: "fine", message: "raised after the bad one" });
    await alerting.deliverDue();
    const texts = tg.botMessages(ADMIN_CHAT.id).map((m) => m.text);
    expect(texts.filter((t) => t.includes("bad byte"))).toHaveLength(1);
    expect(texts.filter((t) => t.includes("raised after the bad one"))).toHaveLength(1);
  });

  it("an alert the database refuses to store is dropped and logged; the alerts raised with it and after it are stored and sent", async () => {
    const clock = fakeClock();
    const { alerting } = alertingFor(tg, db(), clock);
    await db().execute(sql`alter table alerts add constraint poisoned_alert check (dedup_key <> 'poison')`);
    await alerting.raise({ type: "crash_recovered", level: "warning", key: "poison", message: "refused by the database" });
    await alerting.raise({ type: "crash_recovered", level: "warning", key: "fine", message: "raised after the bad one" });
    await alerting.deliverDue();
    const texts = tg.botMessages(ADMIN_CHAT.id).map((m) => m.text);
    expect(texts.filter((t) => t.includes("raised after the bad one"))).toHaveLength(1);
    expect(texts.filter((t) => t.includes("refused by the database"))).toEqual([]);
    expect(await db().select().from(alerts)).toHaveLength(1);
  });
});
