/**
 * Never a flood: repeats of one type and key within the dedup window become one Telegram message
 * that is edited to "×N more"; a new key or the end of the window makes a new message; a breaker
 * "503 storm" reads as one "open" and one "closed". Channels that cannot edit get one follow-up.
 */
import { Api } from "grammy";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { alerts } from "../../src/db/schema.js";
import { ADMIN_CHAT } from "../support/app-harness.js";
import { databaseTargets, useTestDatabase } from "../support/database.js";
import { startTelegramEmulator, type TelegramEmulator } from "../support/telegram-emulator/index.js";
import { alertingFor, clearAlertTables, fakeClock, startWebhookReceiver, type FakeClock, type WebhookReceiver } from "./support.js";

const SECOND = 1_000;

describe.each(databaseTargets())("alert deduplication ($name)", (target) => {
  const db = useTestDatabase(target, clearAlertTables);
  let tg: TelegramEmulator;
  let clock: FakeClock;

  beforeAll(async () => {
    tg = await startTelegramEmulator();
  });
  afterAll(async () => {
    await tg.close();
  });
  beforeEach(() => {
    tg.reset();
    clock = fakeClock();
  });

  const messages = () => tg.botMessages(ADMIN_CHAT.id);

  it("folds 20 raises of one type and key into one message edited to ×19 more", async () => {
    const { alerting } = alertingFor(tg, db(), clock);
    const raise = () =>
      alerting.raise({ type: "rate_limit_exceeded", level: "warning", key: "x:main", message: "X answered 429", details: { status: 429 } });
    await raise();
    expect(await alerting.deliverDue()).toMatchObject({ delivered: 1, merged: 0 });
    expect(messages()).toHaveLength(1);

    for (let i = 0; i < 19; i++) {
      clock.advance(5 * SECOND);
      await raise();
    }
    const run = await alerting.deliverDue();
    expect(run).toMatchObject({ delivered: 0, merged: 19, updated: 1 });
    const [message] = messages();
    expect(messages()).toHaveLength(1);
    expect(message!.editCount).toBe(1);
    expect(message!.text).toContain("×19 more");
    expect(tg.calls("sendMessage")).toHaveLength(1);

    // A different key is a different alert.
    await alerting.raise({ type: "rate_limit_exceeded", level: "warning", key: "x:second", message: "X answered 429" });
    await alerting.deliverDue();
    expect(messages()).toHaveLength(2);
    expect(messages()[1]!.text).toContain("x:second");

    // After the window (300 s from the first one) the same alert is news again.
    clock.advance(300 * SECOND);
    await raise();
    await alerting.deliverDue();
    expect(messages()).toHaveLength(3);
    expect(messages()[2]!.text).not.toContain("more");
    expect(messages()[0]!.text).toContain("×19 more"); // the old one is left as it was

    const rows = await db().select().from(alerts);
    expect(rows.filter((row) => row.status === "merged")).toHaveLength(19);
    expect(rows.filter((row) => row.status === "delivered")).toHaveLength(3);
  });

  it("sends repeats raised before the first delivery as one message already counting them", async () => {
    const { alerting } = alertingFor(tg, db(), clock);
    for (let i = 0; i < 20; i++) {
      await alerting.raise({ type: "rate_limit_exceeded", level: "warning", key: "x:main", message: "429 from X" });
      clock.advance(SECOND);
    }
    expect(await alerting.deliverDue()).toMatchObject({ delivered: 1, merged: 19, updated: 0 });
    expect(messages()).toHaveLength(1);
    expect(messages()[0]!.text).toContain("×19 more");
    expect(messages()[0]!.editCount).toBe(0);
  });

  it("reads a 503 storm as exactly one open and one closed message", async () => {
    const { alerting } = alertingFor(tg, db(), clock);
    const breaker = (type: "circuit_breaker_open" | "circuit_breaker_closed") =>
      alerting.raise({ type, level: type === "circuit_breaker_open" ? "error" : "warning", key: "x:main", message: `breaker x:main ${type}` });
    await breaker("circuit_breaker_open");
    await alerting.deliverDue();
    clock.advance(10 * SECOND);
    await breaker("circuit_breaker_open");
    clock.advance(10 * SECOND);
    await breaker("circuit_breaker_open");
    clock.advance(10 * SECOND);
    await breaker("circuit_breaker_closed");
    await alerting.deliverDue();

    const texts = messages().map((m) => m.text);
    expect(texts).toHaveLength(2);
    expect(texts.filter((t) => t.includes("circuit_breaker_open"))).toHaveLength(1);
    expect(texts.filter((t) => t.includes("circuit_breaker_closed"))).toHaveLength(1);
    expect(texts[0]).toContain("×2 more");
  });

  it("does not fold when the window is 0", async () => {
    const { alerting } = alertingFor(tg, db(), clock, { ALERT_DEDUP_WINDOW_SECONDS: "0" });
    for (let i = 0; i < 3; i++) await alerting.raise({ type: "publication_failed", level: "error", key: "k", message: `n${i}` });
    expect(await alerting.deliverDue()).toMatchObject({ delivered: 3, merged: 0 });
    expect(messages()).toHaveLength(3);
  });

  it("sends a follow-up when the message can no longer be edited, and edits that one afterwards", async () => {
    const { alerting } = alertingFor(tg, db(), clock);
    const raise = () => alerting.raise({ type: "session_failed", level: "critical", key: "main", message: "X rejected the token" });
    await raise();
    await alerting.deliverDue();
    const first = messages()[0]!;
    await new Api(tg.token, { apiRoot: tg.apiRoot }).deleteMessage(ADMIN_CHAT.id, first.messageId);

    clock.advance(SECOND);
    await raise();
    expect(await alerting.deliverDue()).toMatchObject({ merged: 1, updated: 1 });
    expect(messages()).toHaveLength(1);
    const followUp = messages()[0]!;
    expect(followUp.messageId).not.toBe(first.messageId);
    expect(followUp.text).toContain("×1 more");
    expect(followUp.text).toContain("could not be edited");

    clock.advance(20 * SECOND); // past the minimum gap between two edits
    await raise();
    await alerting.deliverDue();
    expect(messages()).toHaveLength(1);
    expect(messages()[0]!.messageId).toBe(followUp.messageId);
    expect(messages()[0]!.text).toContain("×2 more");
  });

  it("edits a message at most once per 15 s however often the alert repeats", async () => {
    const { alerting } = alertingFor(tg, db(), clock);
    const raise = () => alerting.raise({ type: "circuit_breaker_open", level: "error", key: "k", message: "again" });
    await raise();
    await alerting.deliverDue();
    for (let i = 0; i < 5; i++) {
      clock.advance(5 * SECOND);
      await raise();
      await alerting.deliverDue();
    }
    // Repeats at +5 s (edited), +10 s and +15 s (too soon), +20 s (edited), +25 s (too soon).
    expect(messages()[0]!.editCount).toBe(2);
    clock.advance(15 * SECOND);
    await alerting.deliverDue();
    expect(messages()[0]!.editCount).toBe(3);
    expect(messages()[0]!.text).toContain("×5 more");
  });

  it("gives channels that cannot edit one ×N more follow-up once the window is over", async () => {
    const hook: WebhookReceiver = await startWebhookReceiver();
    try {
      const { alerting } = alertingFor(tg, db(), clock, { ALERT_WEBHOOK_URL: hook.url });
      await alerting.setRule("error", { primary: "webhook", fallbacks: [], strategy: "priority_order" });
      const raise = () => alerting.raise({ type: "dlq_exhausted", level: "error", key: "reply:7", message: "gave up" });
      await raise();
      await alerting.deliverDue();
      for (let i = 0; i < 3; i++) {
        clock.advance(30 * SECOND);
        await raise();
        await alerting.deliverDue();
      }
      expect(hook.received).toHaveLength(1);
      clock.advance(300 * SECOND);
      await alerting.deliverDue();
      expect(hook.received).toHaveLength(2);
      expect(hook.received[1]).toMatchObject({ kind: "repeat", type: "dlq_exhausted", repeatCount: 3 });
      expect(hook.received[1]!.text).toContain("×3 more");
      await alerting.deliverDue();
      expect(hook.received).toHaveLength(2);
      expect(messages()).toHaveLength(0);
    } finally {
      await hook.close();
    }
  });

  describe("the window is exact (ALERT_DEDUP_WINDOW_SECONDS=120)", () => {
    const WINDOW = 120 * SECOND;
    const env = { ALERT_DEDUP_WINDOW_SECONDS: "120" };

    it("folds a repeat of a delivered alert raised 1 ms inside the window and sends one raised at its end", async () => {
      const { alerting } = alertingFor(tg, db(), clock, env);
      const raise = () => alerting.raise({ type: "session_failed", level: "critical", key: "main", message: "X rejected the token" });
      await raise();
      expect(await alerting.deliverDue()).toMatchObject({ delivered: 1 });
      clock.advance(WINDOW - 1);
      await raise();
      expect(await alerting.deliverDue()).toMatchObject({ delivered: 0, merged: 1 });
      clock.advance(1);
      await raise();
      expect(await alerting.deliverDue()).toMatchObject({ delivered: 1, merged: 0 });
      expect(messages()).toHaveLength(2);
      expect(messages()[0]!.text).toContain("×1 more");
      expect(messages()[1]!.text).not.toContain("more");
    });

    it("folds pending repeats raised 1 ms inside the window into the first and sends one raised at its end on its own", async () => {
      const { alerting } = alertingFor(tg, db(), clock, env);
      const raise = () => alerting.raise({ type: "session_failed", level: "critical", key: "main", message: "X rejected the token" });
      await raise();
      clock.advance(WINDOW - 1);
      await raise();
      clock.advance(1);
      await raise();
      expect(await alerting.deliverDue()).toMatchObject({ delivered: 2, merged: 1 });
      expect(messages()).toHaveLength(2);
      expect(messages()[0]!.text).toContain("×1 more");
      expect(messages()[1]!.text).not.toContain("more");
    });

    it("sends the webhook's ×N more follow-up at the end of the window, not 1 ms before", async () => {
      const hook: WebhookReceiver = await startWebhookReceiver();
      try {
        const { alerting } = alertingFor(tg, db(), clock, { ...env, ALERT_WEBHOOK_URL: hook.url });
        await alerting.setRule("error", { primary: "webhook", fallbacks: [], strategy: "priority_order" });
        const raise = () => alerting.raise({ type: "dlq_exhausted", level: "error", key: "reply:8", message: "gave up" });
        await raise();
        await alerting.deliverDue();
        clock.advance(10 * SECOND);
        await raise();
        expect(await alerting.deliverDue()).toMatchObject({ merged: 1, updated: 0 });
        clock.advance(WINDOW - 10 * SECOND - 1);
        expect(await alerting.deliverDue()).toMatchObject({ updated: 0 });
        expect(hook.received).toHaveLength(1);
        clock.advance(1);
        expect(await alerting.deliverDue()).toMatchObject({ updated: 1 });
        expect(hook.received).toHaveLength(2);
        expect(hook.received[1]).toMatchObject({ kind: "repeat", repeatCount: 1 });
      } finally {
        await hook.close();
      }
    });
  });
});
