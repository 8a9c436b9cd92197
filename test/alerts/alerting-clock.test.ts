/** Alerting built without a clock of its own stamps what it raises with the real time. */
import { Api } from "grammy";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAlerting } from "../../src/alerts/alerting.js";
import { createTelegramAlertSender } from "../../src/alerts/channels.js";
import { alerts } from "../../src/db/schema.js";
import { ADMIN_CHAT } from "../support/app-harness.js";
import { databaseTargets, useTestDatabase } from "../support/database.js";
import { silentLogger } from "../support/logger.js";
import { startTelegramEmulator, type TelegramEmulator } from "../support/telegram-emulator/index.js";
import { alertConfig, clearAlertTables } from "./support.js";

describe.each(databaseTargets())("alerting on the real clock ($name)", (target) => {
  const db = useTestDatabase(target, clearAlertTables);
  let tg: TelegramEmulator;
  beforeAll(async () => {
    tg = await startTelegramEmulator();
  });
  afterAll(async () => {
    await tg.close();
  });

  it("stamps a raised alert with the time it was raised", async () => {
    const alerting = createAlerting({
      db: db(),
      config: alertConfig(tg),
      logger: silentLogger(),
      telegram: createTelegramAlertSender(new Api(tg.token, { apiRoot: tg.apiRoot }), ADMIN_CHAT.id),
    });
    const before = Date.now();
    await alerting.raise({ type: "bot_started", level: "info", message: "up" });
    const after = Date.now();
    const [row] = await db().select().from(alerts);
    expect(row?.occurredAt.getTime()).toBeGreaterThanOrEqual(before);
    expect(row?.occurredAt.getTime()).toBeLessThanOrEqual(after);
  });
});
