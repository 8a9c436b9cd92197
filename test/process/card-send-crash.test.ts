/**
 * kill -9 between a card's sendMessage and storing its message id, restart on the same DATA_DIR: the card is in
 * the chat but the bot never learnt its id. Telegram has no idempotent send and cannot list a chat, so the restarted
 * bot sends the card again, and that card says an earlier copy may be above (logged at warn). A press on the earlier
 * copy changes nothing and strips it; the card sent again publishes the reply once.
 *
 * The crash point is reached deterministically: the emulator delivers the card's sendMessage and withholds the
 * answer (`hangAfterDelivery`), so the process sits between the send and the store until it is killed.
 */
import { rmSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { RESENT_LINE } from "../../src/bot/cards/render-card.js";
import { ADMIN, ADMIN_CHAT, testEnvironment } from "../support/app-harness.js";
import { migratedDataDir } from "../support/data-dir.js";
import { parseLogLine, spawnBot, type SpawnedBot } from "../support/spawn-bot.js";
import type { BotMessageView } from "../support/telegram-emulator/index.js";
import { buttonData, startWorkflowRig, type WorkflowRig } from "../support/workflow-rig.js";

/** The bot as the Docker image runs it (node, no npm in between), from the TypeScript sources. */
const BOT_COMMAND = ["node", "--import", "tsx", "src/main.ts"] as const;

describe("kill -9 between a card's sendMessage and storing its id (bot process, PGlite in DATA_DIR)", () => {
  let rig: WorkflowRig | undefined;
  const bots: SpawnedBot[] = [];
  const dataDir = migratedDataDir("rgb-card-crash-");

  afterAll(async () => {
    for (const bot of bots) {
      bot.signal("SIGKILL");
      await bot.closed;
    }
    await rig?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("the restarted bot sends the card again saying so; the first copy's buttons change nothing, the new card publishes once", { timeout: 90_000 }, async () => {
    const peers = await startWorkflowRig();
    rig = peers;
    const start = async () => {
      const env = testEnvironment(peers.tg, { ...peers.env({ DISCOVERY_CRON: "* * * * * *", PUBLISH_CRON: "* * * * * *" }), DATA_DIR: dataDir, LOG_LEVEL: "info" });
      const bot = spawnBot(env, BOT_COMMAND);
      bots.push(bot);
      await bot.waitForLine((line) => parseLogLine(line)?.msg === "reply-guy-bot started", 60_000);
      return bot;
    };
    const press = async (card: BotMessageView) => {
      const queryId = await peers.tg.pressButton({ from: ADMIN, chat: ADMIN_CHAT, messageId: card.messageId, data: buttonData(card, "Approve"), force: true });
      return (await peers.tg.waitForCallbackAnswer(queryId, 20_000)).text;
    };

    const first = await start();
    // The boot's own messages go out first; the next sendMessage is the card's.
    await peers.tg.waitForBotMessage((m) => m.text.includes("Recovery report"), 20_000);
    peers.tg.injectFault("sendMessage", { hangAfterDelivery: true });
    const text = "@replyguy what if the bot dies right after sending a card?";
    const mention = peers.x.addTweet({ authorId: peers.alice.id, text });
    const isCard = (m: BotMessageView) => m.chatId === ADMIN_CHAT.id && m.text.includes(`/status/${mention.id}`);
    const copy = await peers.tg.waitForBotMessage((m) => isCard(m) && m.inlineKeyboard.length > 0, 20_000);
    expect(peers.tg.calls("sendMessage").at(-1)?.ok).toBeUndefined(); // delivered, not answered: the crash window
    first.signal("SIGKILL");
    await first.closed;

    const second = await start();
    const again = await peers.tg.waitForBotMessage((m) => isCard(m) && m.messageId !== copy.messageId, 20_000);
    expect(again.text).toContain(RESENT_LINE);
    const warning = (await second.waitForLine((line) => parseLogLine(line)?.msg?.toString().startsWith("card sent again") ?? false));
    expect(parseLogLine(warning)).toMatchObject({ level: 40, trace: mention.id, sends: 2 });

    expect(await press(copy)).toBe("This card was replaced by the one below.");
    const stripped = await peers.tg.waitForBotMessage((m) => m.messageId === copy.messageId && m.text.startsWith("♻️ Superseded"), 20_000);
    expect(stripped.inlineKeyboard).toEqual([]);
    expect(peers.posts()).toEqual([]);

    expect(await press(again)).toMatch(/^Approved/);
    await peers.tg.waitForBotMessage((m) => m.messageId === again.messageId && m.text.includes("Published"), 20_000);
    expect(peers.x.repliesTo(mention.id)).toHaveLength(1);
    expect(peers.tg.botMessages(ADMIN_CHAT.id).filter(isCard)).toHaveLength(1); // the stripped copy no longer shows the post
  });
});
