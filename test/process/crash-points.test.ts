/**
 * kill -9 at each point of the publish path, restart on the same DATA_DIR, and check the approved
 * reply is published exactly once: one reply at X, and the card says Published with its link.
 *
 * Each crash point is reached deterministically, never by racing a timer:
 * - before the claim: the bot is /paused before Approve, so the reply is approved and due but the
 *   publisher returns before claiming it (the pause is persisted; /resume after the restart);
 * - after the claim, before anything reached X: X `hang`s the POST (nothing is created), so the
 *   process sits in the POST holding the claim; after the restart, X `hang`s the reconcile read
 *   (GET /2/users/:id/tweets) the released claim now needs, and the second process dies there too;
 * - after the POST reached X: `commitThenDrop` creates the reply and cuts the connection; the bot
 *   records the outcome as ambiguous (retry after PUBLISH_RETRY_BASE_SECONDS, reconcile first) and the card says so; then
 *   kill. (`commitThenDelay`, X holding the answer while the bot dies, is publish-crash.test.ts.)
 * - after marking published: the card says Published; kill, restart, and a second approval goes
 *   through the restarted publisher without posting the first one again.
 *
 * The tests run concurrently, each with its own emulator, fakes and DATA_DIR (copied from one
 * migrated template directory, so only one boot pays for creating the database).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ADMIN, ADMIN_CHAT, testEnvironment } from "../support/app-harness.js";
import type { FakeXEndpointKey, FakeXRequest, FakeXTweet } from "../support/fake-x/index.js";
import { parseLogLine, spawnBot, type SpawnedBot } from "../support/spawn-bot.js";
import { migratedDataDir } from "../support/data-dir.js";
import type { BotMessageView } from "../support/telegram-emulator/index.js";
import { buttonData, startWorkflowRig, type WorkflowRig } from "../support/workflow-rig.js";

/** The bot as the Docker image runs it (node, no npm in between), from the TypeScript sources. */
const BOT_COMMAND = ["node", "--import", "tsx", "src/main.ts"] as const;
const POST = { method: "POST", path: "/2/tweets" } as const;
/** The read the publisher does before retrying a maybe-posted reply (findExistingReply). */
const RECONCILE_READ = { method: "GET", path: "/2/users/:id/tweets" } as const;

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** How many `publishing` claims of a dead process the bot released at boot ("boot recovery done"). */
function releasedClaims(bot: SpawnedBot): unknown {
  const line = bot.lines.map(parseLogLine).find((entry) => entry?.msg === "boot recovery done");
  return line?.releasedClaims;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One crash scenario: its own peers and DATA_DIR, and the bot processes it started. */
interface Scenario {
  readonly rig: WorkflowRig;
  /** Starts the bot on the scenario's DATA_DIR and waits until it is up. */
  start(): Promise<SpawnedBot>;
  /** SIGKILL to the bot's process group; resolves when it is gone. */
  kill(bot: SpawnedBot): Promise<void>;
  /** A new mention of our account, discovered and drafted into a card with buttons. */
  mentionCard(text: string): Promise<{ mention: FakeXTweet; card: BotMessageView }>;
  /** Presses Approve on the card; resolves with the bot's answer. */
  approve(card: BotMessageView): Promise<string | undefined>;
  /** The card once it says Published. */
  published(card: BotMessageView, timeoutMs?: number): Promise<BotMessageView>;
  /** Requests the fake X saw on one endpoint. */
  requests(match: { method: string; path: string }): readonly Readonly<FakeXRequest>[];
  close(): Promise<void>;
}

describe.concurrent("kill -9 at each point of the publish path (bot process, PGlite in DATA_DIR)", () => {
  const scenarios: Scenario[] = [];
  afterAll(async () => {
    for (const scenario of scenarios) await scenario.close();
  });

  /** A scenario on a migrated DATA_DIR, or (`fresh`) on an empty DATA_DIR its first boot creates. */
  async function scenario(options: { fresh?: boolean } = {}): Promise<Scenario> {
    const rig = await startWorkflowRig();
    const dataDir = options.fresh ? mkdtempSync(join(tmpdir(), "rgb-crash-point-")) : migratedDataDir("rgb-crash-point-");
    const bots: SpawnedBot[] = [];
    const kill = async (bot: SpawnedBot) => {
      bot.signal("SIGKILL");
      await bot.closed;
    };
    let closed = false;
    const created: Scenario = {
      rig,
      async start() {
        const env = testEnvironment(rig.tg, {
          ...rig.env({ DISCOVERY_CRON: "* * * * * *", PUBLISH_CRON: "* * * * * *", PUBLISH_RETRY_BASE_SECONDS: "2" }),
          DATA_DIR: dataDir,
          LOG_LEVEL: "info",
        });
        const bot = spawnBot(env, BOT_COMMAND);
        bots.push(bot);
        await bot.waitForLine((line) => parseLogLine(line)?.msg === "reply-guy-bot started", 60_000);
        return bot;
      },
      kill,
      async mentionCard(text) {
        const mention = rig.x.addTweet({ authorId: rig.alice.id, text });
        const card = await rig.tg.waitForBotMessage(
          (m) => m.chatId === ADMIN_CHAT.id && m.text.includes(text.slice(10)) && m.inlineKeyboard.length > 0,
          20_000,
        );
        return { mention, card };
      },
      async approve(card) {
        const data = buttonData(card, "Approve");
        const queryId = await rig.tg.pressButton({ from: ADMIN, chat: ADMIN_CHAT, messageId: card.messageId, data });
        return (await rig.tg.waitForCallbackAnswer(queryId, 20_000)).text;
      },
      published(card, timeoutMs = 20_000) {
        return rig.tg.waitForBotMessage((m) => m.messageId === card.messageId && m.text.includes("Published"), timeoutMs);
      },
      requests(match) {
        return rig.x.requests({ endpoint: `${match.method} ${match.path}` as FakeXEndpointKey });
      },
      async close() {
        if (closed) return;
        closed = true;
        for (const bot of bots) await kill(bot);
        await rig.close();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
    scenarios.push(created);
    return created;
  }

  /** Exactly one reply to `mention` exists at X and the card links to it. */
  function expectPublishedOnce(s: Scenario, mention: FakeXTweet, card: BotMessageView) {
    const replies = s.rig.x.repliesTo(mention.id);
    expect(replies).toHaveLength(1);
    expect(replies[0]!.author_id).toBe(s.rig.us.id);
    expect(card.text).toContain(`https://x.com/replyguy/status/${replies[0]!.id}`);
    expect(card.inlineKeyboard).toEqual([]);
  }

  it("before the claim: approved and due while paused, kill, restart, /resume → published once", { timeout: 90_000 }, async () => {
    const s = await scenario();
    const first = await s.start();
    const { mention, card } = await s.mentionCard("@replyguy crash before the claim: does it survive?");
    await s.rig.tg.sendText({ from: ADMIN, chat: ADMIN_CHAT, text: "/pause" });
    await s.rig.tg.waitForBotMessage((m) => m.chatId === ADMIN_CHAT.id && m.text.includes("Paused."), 20_000);
    // Zero delay: the reply is due at once, and the publish run the approval triggers returns on the pause.
    expect(await s.approve(card)).toMatch(/^Approved — scheduled for/);
    await s.rig.tg.waitForBotMessage(
      (m) => m.messageId === card.messageId && m.text.includes("Scheduled for") && m.text.includes("Bot paused"),
      20_000,
    );
    expect(s.requests(POST)).toHaveLength(0);
    await s.kill(first);

    expect(releasedClaims(await s.start())).toBe(0);
    await sleep(1_500); // a few publish ticks: the pause survived the crash, nothing goes out
    expect(s.requests(POST)).toHaveLength(0);
    await s.rig.tg.sendText({ from: ADMIN, chat: ADMIN_CHAT, text: "/resume" });
    const published = await s.published(card);
    expectPublishedOnce(s, mention, published);
    expect(s.requests(POST)).toHaveLength(1);
    // The claim was never taken before the crash: nothing to reconcile.
    expect(s.requests(RECONCILE_READ)).toHaveLength(0);
  });

  it(
    "after the claim: kill during a hung POST, then during the hung reconcile read → published once",
    { timeout: 90_000 },
    async () => {
      const s = await scenario();
      const first = await s.start();
      const { mention, card } = await s.mentionCard("@replyguy crash after the claim: still only one reply?");
      s.rig.x.enqueueFault(POST, { kind: "hang" });
      await s.approve(card);
      // The claim is committed before the POST is sent: the process now holds it, stuck in the POST.
      await until(() => s.requests(POST).length === 1, 20_000, "the hung POST");
      expect(s.rig.x.repliesTo(mention.id)).toHaveLength(0);
      await s.kill(first);

      // The restart releases the dead claim for reconciliation; the reconcile read hangs: kill again.
      s.rig.x.enqueueFault(RECONCILE_READ, { kind: "hang" });
      const second = await s.start();
      expect(releasedClaims(second)).toBe(1);
      await until(() => s.requests(RECONCILE_READ).length === 1, 20_000, "the hung reconcile read");
      expect(s.requests(POST)).toHaveLength(1);
      await s.kill(second);

      expect(releasedClaims(await s.start())).toBe(1);
      const published = await s.published(card);
      expectPublishedOnce(s, mention, published);
      // The hung POST (nothing created) and the one that went through, after a reconcile read found nothing.
      const posts = s.requests(POST);
      expect(posts).toHaveLength(2);
      const reads = s.requests(RECONCILE_READ);
      expect(reads).toHaveLength(2);
      expect(reads[1]!.status).toBe(200);
      expect(reads[1]!.at).toBeLessThanOrEqual(posts[1]!.at);
    },
  );

  it(
    "after the POST reached X (commitThenDrop, recorded as ambiguous): kill, restart → reconciled, not posted again",
    { timeout: 90_000 },
    async () => {
      // On an empty DATA_DIR: the first boot creates the database, as a new install does.
      const s = await scenario({ fresh: true });
      const first = await s.start();
      const { mention, card } = await s.mentionCard("@replyguy crash after X took the reply but dropped the answer");
      s.rig.x.enqueueFault(POST, { kind: "commitThenDrop" });
      await s.approve(card);
      // X created the reply; the bot saw a cut connection and scheduled a reconcile-first retry.
      await s.rig.tg.waitForBotMessage((m) => m.messageId === card.messageId && m.text.includes("retrying after"), 20_000);
      expect(s.rig.x.repliesTo(mention.id)).toHaveLength(1);
      await s.kill(first);

      // The outcome was recorded before the crash: no claim is left to release.
      expect(releasedClaims(await s.start())).toBe(0);
      // The retry is due PUBLISH_RETRY_BASE_SECONDS (2 s here) after the failed attempt.
      const published = await s.published(card, 30_000);
      expectPublishedOnce(s, mention, published);
      expect(s.requests(POST)).toHaveLength(1);
      expect(s.requests(RECONCILE_READ).filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(1);
    },
  );

  it("after marking published: kill, restart → the restarted publisher works and never posts it again", { timeout: 90_000 }, async () => {
    const s = await scenario();
    const first = await s.start();
    const one = await s.mentionCard("@replyguy crash after publishing: no second post please");
    await s.approve(one.card);
    await s.published(one.card);
    expect(s.requests(POST)).toHaveLength(1);
    await s.kill(first);

    expect(releasedClaims(await s.start())).toBe(0);
    // A second approval after the restart: the publisher runs (oldest due first) and posts only it.
    const two = await s.mentionCard("@replyguy a second post after the restart");
    await s.approve(two.card);
    const publishedTwo = await s.published(two.card);
    expectPublishedOnce(s, two.mention, publishedTwo);
    const publishedOne = s.rig.tg.botMessages(ADMIN_CHAT.id).find((m) => m.messageId === one.card.messageId)!;
    expect(publishedOne.text).toContain("Published");
    expectPublishedOnce(s, one.mention, publishedOne);
    expect(s.requests(POST).map((r) => r.status)).toEqual([201, 201]);
    expect(s.rig.posts().map((p) => p.inReplyTo)).toEqual([one.mention.id, two.mention.id]);
  });
});
