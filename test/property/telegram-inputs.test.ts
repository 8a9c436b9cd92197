/**
 * Property, end to end: random button data and command texts from an admin, sent through the Telegram emulator to
 * the running app, get a short answer, leave every table as it was, log no handler failure and reject no promise
 * unhandled.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApp, type App } from "../../src/app.js";
import { bulkCallbacks } from "../../src/bot/callback-data/bulk.js";
import { healthCallbacks } from "../../src/bot/callback-data/health.js";
import { reviewCallbacks } from "../../src/bot/callback-data/review.js";
import { loadConfig } from "../../src/config.js";
import { JOBS } from "../../src/workflow/services.js";
import { isSettingKey, settingDefinition } from "../../src/workflow/settings.js";
import { normaliseUsername, normaliseWatchValue } from "../../src/workflow/watchlist.js";
import { ADMIN, ADMIN_CHAT, testEnvironment } from "../support/app-harness.js";
import { createPgliteTestDatabase, type TestDatabase } from "../support/database.js";
import { capturingLogger } from "../support/logger.js";
import { snapshotTables } from "../support/table-snapshot.js";
import { EMULATOR_RUNNER_OPTIONS } from "../support/telegram-emulator/index.js";
import { startWorkflowRig, type WorkflowRig } from "../support/workflow-rig.js";

const TELEGRAM_TEXT_MAX = 4096;

/** Argument text: anything (up to a long paste), near-misses of real arguments, and injection-looking text. */
const argument = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: "grapheme", maxLength: 20 }),
  fc.constantFrom("add", "remove 1", "remove 99", "list extra", "reset", "reset nope", "set", "set persona", "set gap 10-5", "set quiet_hours 25:00-01:00",
    "@", "@'; drop table replies; --", "<b>bold</b>", "&amp;", "add @ünïcode", "history now", "0", "-1", "9".repeat(40)),
  fc.tuple(fc.constantFrom("add", "remove", "set", "reset", "list"), fc.string({ minLength: 1, maxLength: 4000 })).map(([sub, rest]) => `${sub} ${rest}`),
  fc.nat({ max: 4090 }).map((n) => `reset ${"n".repeat(n)}`),
);

/** Whether `/command args` could change something (a valid add/remove/set/opt-out…): those are left to other tests. */
function couldChangeState(command: string, args: string): boolean {
  const words = args.trim().split(/\s+/);
  const [sub = "", ...rest] = words;
  const tail = args.trim().slice(sub.length).trim();
  switch (command) {
    case "optout":
    case "optin":
      return normaliseUsername(args).ok;
    case "targets":
    case "searches":
    case "topics": {
      const kind = command === "targets" ? "target" : command === "searches" ? "search" : "topic";
      return (sub.toLowerCase() === "add" || sub.toLowerCase() === "remove") && normaliseWatchValue(kind, tail).ok;
    }
    case "settings": {
      if (sub === "reset") return true;
      if (sub !== "set") return false;
      const [key = ""] = rest;
      return isSettingKey(key) && settingDefinition(key).parse(tail.slice(key.length)).ok;
    }
    case "breaker":
      // Resetting a breaker that exists is a change; an unknown name is refused.
      return sub === "reset" && /^(x|ai|db)(:|$)/.test(rest[0] ?? "");
    default:
      return false;
  }
}

const command = fc
  .tuple(fc.constantFrom("queue", "stats", "dlq", "health", "help", "alerts", "settings", "breaker", "optout", "optin", "targets", "searches", "topics", "cancel", "nosuchcommand"), argument)
  .filter(([name, args]) => !couldChangeState(name, args))
  .map(([name, args]) => `/${name} ${args}`.slice(0, TELEGRAM_TEXT_MAX));

/** Button data up to Telegram's 64 bytes: near-misses of ours, and anything. */
const buttonData = fc
  .oneof(
    fc.tuple(fc.constantFrom("v1", "v0", "v2", ""), fc.constantFrom("a", "r", "e", "g", "q", "dr", "dd", "hr", "br", "zz"), fc.array(fc.oneof(fc.nat().map(String), fc.constantFrom("-1", "01", "x:main", "db", "", "1e3", "99999999999")), { maxLength: 3 }))
      .map(([v, code, fields]) => [v, code, ...fields].join(":")),
    fc.string({ minLength: 1, maxLength: 64 }),
  )
  .filter((data) => data.length > 0 && Buffer.byteLength(data) <= 64);

describe("random Telegram input to the running app (property)", () => {
  let rig: WorkflowRig;
  let app: App;
  let database: TestDatabase;
  let seededReplyId = 0;
  let cardMessageId = 0;
  const captured = capturingLogger();
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };

  beforeAll(async () => {
    process.on("unhandledRejection", onUnhandled);
    rig = await startWorkflowRig();
    database = await createPgliteTestDatabase();
    const config = loadConfig(testEnvironment(rig.tg, rig.env()));
    app = await startApp(
      config,
      captured.logger,
      (error) => {
        throw error;
      },
      { database: database.handle, botInfo: rig.tg.botInfo, runnerOptions: EMULATOR_RUNNER_OPTIONS },
    );
    // One real card, so button data can name a reply that exists.
    rig.x.addTweet({ authorId: rig.alice.id, text: "@replyguy property testing, anyone?" });
    await app.scheduler.runNow(JOBS.discovery);
    const card = await rig.tg.waitForBotMessage((m) => m.chatId === ADMIN_CHAT.id && m.inlineKeyboard.length > 0);
    // The boot report too, so that it is never taken for the answer to a command.
    await rig.tg.waitForBotMessage((m) => m.chatId === ADMIN_CHAT.id && m.text.includes("Recovery report"));
    cardMessageId = card.messageId;
    seededReplyId = Number(/Reply #(\d+)/.exec(card.text)?.[1]);
  }, 60_000);
  afterAll(async () => {
    await app.stop();
    await database.dispose();
    await rig.close();
    process.off("unhandledRejection", onUnhandled);
  });

  /**
   * Whether pressing `data` would act on the real card or a real breaker, or is one of /queue's bulk buttons, which
   * store the plan of a batch for its confirmation (legitimate changes, tested elsewhere).
   */
  function actsOnSomethingReal(data: string): boolean {
    const { approveAll, rejectAll, select } = bulkCallbacks;
    if ([approveAll, rejectAll, select].some((button) => button.filter.test(data))) return true;
    for (const kind of Object.values(reviewCallbacks)) {
      if (kind.filter.test(data) && kind.unpack(data).replyId === seededReplyId) return true;
    }
    return healthCallbacks.breakerReset.filter.test(data) && app.registry.all().some((b) => b.name === healthCallbacks.breakerReset.unpack(data).name);
  }

  it("each gets a short answer; no row of any table changes; nothing fails unhandled", async () => {
    const before = await snapshotTables(app.database.db);
    const input = fc.oneof(command.map((text) => ({ text })), buttonData.map((data) => ({ data })));
    await fc.assert(
      fc.asyncProperty(input, async (one) => {
        if ("data" in one) {
          fc.pre(!actsOnSomethingReal(one.data));
          const id = await rig.tg.pressButton({ from: ADMIN, chat: ADMIN_CHAT, messageId: cardMessageId, data: one.data, force: true });
          const answer = await rig.tg.waitForCallbackAnswer(id);
          expect((answer.text ?? "").length).toBeLessThanOrEqual(200);
        } else {
          const lastId = Math.max(0, ...rig.tg.botMessages(ADMIN_CHAT.id).map((m) => m.messageId));
          await rig.tg.sendText({ from: ADMIN, chat: ADMIN_CHAT, text: one.text });
          const reply = await rig.tg.waitForBotMessage((m) => m.chatId === ADMIN_CHAT.id && m.messageId > lastId);
          expect(reply.text.length).toBeGreaterThan(0);
          expect(reply.text.length).toBeLessThanOrEqual(TELEGRAM_TEXT_MAX);
        }
        expect(await snapshotTables(app.database.db)).toEqual(before);
      }),
      { numRuns: 40 },
    );
    const failures = captured.lines.filter((line) => /"level":(50|60)/.test(line));
    expect(failures).toEqual([]);
    expect(unhandled).toEqual([]);
  }, 120_000);
});
