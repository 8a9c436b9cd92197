import { rmSync } from "node:fs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ADMIN, ADMIN_CHAT, testEnvironment } from "../support/app-harness.js";
import { parseLogLine, spawnBot, type SpawnedBot } from "../support/spawn-bot.js";
import { buttonData, startWorkflowRig, type WorkflowRig } from "../support/workflow-rig.js";
import { migratedDataDir } from "../support/data-dir.js";

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe("publishing survives kill -9 (npm start, PGlite in DATA_DIR)", () => {
  let rig: WorkflowRig;
  let dataDir: string;
  const bots: SpawnedBot[] = [];

  beforeAll(async () => {
    rig = await startWorkflowRig();
    dataDir = migratedDataDir("rgb-crash-");
  });
  afterEach(async () => {
    for (const bot of bots.splice(0)) {
      bot.signal("SIGKILL");
      await bot.closed;
    }
  });
  afterAll(async () => {
    await rig.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const start = async () => {
    const env = testEnvironment(rig.tg, {
      ...rig.env({ DISCOVERY_CRON: "* * * * * *", PUBLISH_CRON: "* * * * * *" }),
      DATA_DIR: dataDir,
      LOG_LEVEL: "info",
    });
    const bot = spawnBot(env);
    bots.push(bot);
    await bot.waitForLine((line) => parseLogLine(line)?.msg === "reply-guy-bot started", 60_000);
    return bot;
  };

  it("kill -9 while X holds the POST → after restart exactly one reply exists and the card says published", { timeout: 90_000 }, async () => {
    const first = await start();
    const mention = rig.x.addTweet({ authorId: rig.alice.id, text: "@replyguy is exactly-once delivery real?" });
    const card = await rig.tg.waitForBotMessage(
      (m) => m.chatId === ADMIN_CHAT.id && m.text.includes("exactly-once delivery") && m.inlineKeyboard.length > 0,
      20_000,
    );
    // X accepts the reply at once but answers only much later: the bot dies in between.
    rig.x.enqueueFault({ method: "POST", path: "/2/tweets" }, { kind: "commitThenDelay", ms: 60_000 });
    const queryId = await rig.tg.pressButton({ from: ADMIN, chat: ADMIN_CHAT, messageId: card.messageId, data: buttonData(card, "Approve") });
    await rig.tg.waitForCallbackAnswer(queryId);
    await until(() => rig.posts().length === 1, 15_000, "the POST to reach X");
    first.signal("SIGKILL");
    await first.closed;
    expect(rig.x.repliesTo(mention.id)).toHaveLength(1);

    await start();
    const published = await rig.tg.waitForBotMessage(
      (m) => m.messageId === card.messageId && m.text.includes("Published"),
      20_000,
    );
    const replies = rig.x.repliesTo(mention.id);
    expect(replies).toHaveLength(1);
    expect(published.text).toContain(`/status/${replies[0]!.id}`);
    expect(rig.posts()).toHaveLength(1);
  });
});
