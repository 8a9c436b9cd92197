/**
 * Boot recovery over rows: the cards a crash left unsent go out at boot even when Telegram refuses
 * one of them; the refused one is reported once (card_failed) and is not "half-done" at the next boot.
 */
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALERTS_JOB } from "../../src/app.js";
import { replies } from "../../src/db/schema.js";
import { JOBS } from "../../src/workflow/services.js";
import { ADMIN_CHAT, startTestApp } from "../support/app-harness.js";
import { createPgliteTestDatabase, type TestDatabase } from "../support/database.js";
import { startWorkflowRig, type WorkflowRig } from "../support/workflow-rig.js";

describe("boot recovery isolates a refused card", () => {
  let rig: WorkflowRig;
  let database: TestDatabase;

  beforeAll(async () => {
    rig = await startWorkflowRig();
    database = await createPgliteTestDatabase();
  });
  afterAll(async () => {
    await database.dispose();
    await rig.close();
  });

  it("sends the other unsent cards at boot and does not count the refused one as left half-done", { timeout: 60_000 }, async () => {
    const first = await startTestApp(rig.tg, { database, env: rig.env() });
    const mentions = [0, 1, 2].map((i) => rig.x.addTweet({ authorId: rig.alice.id, text: `@replyguy boot case ${i}?` }));
    await first.app.scheduler.runNow(JOBS.discovery);
    await first.stop();
    // What a crash right after drafting leaves: three replies whose cards were never sent.
    const db = database.handle.db;
    await db.update(replies).set({ cardMessageId: null, cardVersion: 0 });
    rig.tg.reset();

    // Card sync runs at boot before the recovery report: the first message out is the first card.
    rig.tg.injectFault("sendMessage", { status: 400, description: "Bad Request: message is too long" });
    const second = await startTestApp(rig.tg, { database, env: rig.env() });
    try {
      const report = await rig.tg.waitForBotMessage((m) => m.text.includes("Recovery report"));
      expect(report.text).toContain("3 card(s) never sent");
      const rows = (await db.select().from(replies)).sort((a, b) => a.id - b.id);
      expect(rows.map((row) => row.cardFailureReason)).toEqual(["Telegram 400: Bad Request: message is too long", null, null]);
      for (const mention of mentions.slice(1)) {
        const [row] = await db.select().from(replies).where(eq(replies.postTweetId, mention.id));
        expect(rig.tg.botMessages(ADMIN_CHAT.id).some((m) => m.messageId === row!.cardMessageId && m.text.includes("boot case"))).toBe(true);
      }
      await second.app.scheduler.runNow(ALERTS_JOB);
      expect(rig.tg.botMessages(ADMIN_CHAT.id).filter((m) => m.text.includes("<code>card_failed</code>"))).toHaveLength(1);
    } finally {
      await second.stop();
    }

    rig.tg.reset();
    const third = await startTestApp(rig.tg, { database, env: rig.env() });
    try {
      const report = await rig.tg.waitForBotMessage((m) => m.text.includes("Recovery report"));
      expect(report.text).toContain("Nothing was left half-done");
    } finally {
      await third.stop();
    }
  });
});
