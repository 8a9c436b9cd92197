/**
 * Two bot processes on one PostgreSQL database (a fresh one per test on TEST_DATABASE_URL, as `npm run test:pg`
 * sets it; skipped under plain `npm test`): one leads, polls Telegram and discovers; the other stands by and takes
 * over when the leader is killed. Real processes, since a SIGKILL must free the lock with the connection.
 */
import { hostname } from "node:os";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ADMIN, ADMIN_CHAT, testEnvironment } from "../support/app-harness.js";
import { createPostgresTestDatabase, type TestDatabase } from "../support/database.js";
import { parseLogLine, spawnBot, startedReplica, type SpawnedBot } from "../support/spawn-bot.js";
import { startWorkflowRig, type WorkflowRig } from "../support/workflow-rig.js";

const serverUrl = process.env.TEST_DATABASE_URL;
/** The bot as the Docker image runs it (node, no npm in between): the child's pid is the replica's. */
const BOT_COMMAND = ["node", "--import", "tsx", "src/main.ts"] as const;
const TAKEOVER_SECONDS = 3;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.runIf(serverUrl)("replicas on one PostgreSQL database", () => {
  let rig: WorkflowRig;
  let database: TestDatabase | undefined;
  const bots: SpawnedBot[] = [];

  /** Starts one replica and resolves with it, the role it logged at start and its HTTP base URL. */
  async function startReplica(url: string): Promise<{ bot: SpawnedBot; role: string; http: string }> {
    const env = testEnvironment(rig.tg, {
      ...rig.env({ DISCOVERY_CRON: "* * * * * *", LEADER_TAKEOVER_SECONDS: String(TAKEOVER_SECONDS) }),
      DATABASE_URL: url,
      LOG_LEVEL: "info",
    });
    const bot = spawnBot(env, BOT_COMMAND);
    bots.push(bot);
    return { bot, ...(await startedReplica(bot)) };
  }

  /** The replica as its HTTP surface shows it: /health's replica block, /ready's status, the rgb_leader gauge. */
  async function surface(http: string): Promise<{ role: string; ready: number; gauge: string | undefined }> {
    const health = (await (await fetch(`${http}/health`)).json()) as { replica: { role: string } };
    const ready = (await fetch(`${http}/ready`)).status;
    const metrics = await (await fetch(`${http}/metrics`)).text();
    return { role: health.replica.role, ready, gauge: /^rgb_leader (\d)$/m.exec(metrics)?.[1] };
  }

  const conflicts = () => rig.tg.calls("getUpdates").filter((call) => call.errorCode === 409);
  const polls = (bot: SpawnedBot) => bot.lines.some((l) => parseLogLine(l)?.msg === "polling Telegram for updates");

  beforeAll(async () => {
    rig = await startWorkflowRig();
  });
  afterEach(async () => {
    for (const bot of bots.splice(0)) {
      bot.signal("SIGKILL");
      await bot.closed;
    }
    await database?.dispose();
    database = undefined;
    rig.reset();
  });
  afterAll(async () => {
    await rig.close();
  });

  it("one leader polls and discovers (one card per mention); SIGKILL it and the stand-by answers within LEADER_TAKEOVER_SECONDS", { timeout: 90_000 }, async () => {
    database = await createPostgresTestDatabase(serverUrl!);
    const url = database.url!;
    await database.handle.close();
    const [first, second] = await Promise.all([startReplica(url), startReplica(url)]);
    expect([first.role, second.role].sort()).toEqual(["leader", "standby"]);
    const [leading, standing] = first.role === "leader" ? [first, second] : [second, first];
    const [leader, standby] = [leading.bot, standing.bot];
    expect(await surface(leading.http)).toEqual({ role: "leader", ready: 200, gauge: "1" });
    expect(await surface(standing.http)).toEqual({ role: "standby", ready: 200, gauge: "0" });

    rig.x.addTweet({ authorId: rig.alice.id, text: "@replyguy two replicas, how many cards?" });
    const isCard = (m: { chatId: number; text: string; inlineKeyboard: unknown[] }) =>
      m.chatId === ADMIN_CHAT.id && m.text.includes("two replicas, how many cards?") && m.inlineKeyboard.length > 0;
    await rig.tg.waitForBotMessage(isCard, 20_000);
    await sleep(3_000); // three more discovery ticks of the leader: a second card would have gone out by now
    expect(rig.tg.botMessages().filter(isCard)).toHaveLength(1);
    expect(polls(leader)).toBe(true);
    expect(polls(standby)).toBe(false);
    expect(conflicts()).toEqual([]);

    const killedAt = Date.now();
    leader.signal("SIGKILL");
    await leader.closed;
    const tookOver = await standby.waitForLine((l) => parseLogLine(l)?.msg === "this replica leads", TAKEOVER_SECONDS * 1000 + 2_000);
    expect(Date.parse(String(parseLogLine(tookOver)?.time)) - killedAt).toBeLessThan(TAKEOVER_SECONDS * 1000);

    await rig.tg.sendText({ from: ADMIN, chat: ADMIN_CHAT, text: "/health" });
    const health = await rig.tg.waitForBotMessage((m) => m.chatId === ADMIN_CHAT.id && m.text.includes("leader since"), 15_000);
    const answeredMs = Date.now() - killedAt;
    expect(health.text).toContain(`${hostname()}:${standby.child.pid}, leader since`);
    expect(answeredMs).toBeLessThan(TAKEOVER_SECONDS * 1000 + 3_000);
    expect(await surface(standing.http)).toEqual({ role: "leader", ready: 200, gauge: "1" });
    expect(conflicts()).toEqual([]);
  });

  it("a leader stopped with SIGTERM stops polling, then gives the lock up: the stand-by leads at its next try", { timeout: 90_000 }, async () => {
    database = await createPostgresTestDatabase(serverUrl!);
    const url = database.url!;
    await database.handle.close();
    const first = await startReplica(url);
    const second = await startReplica(url);
    expect([first.role, second.role]).toEqual(["leader", "standby"]);

    const stoppedAt = Date.now();
    first.bot.signal("SIGTERM");
    const tookOver = await second.bot.waitForLine((l) => parseLogLine(l)?.msg === "this replica leads", TAKEOVER_SECONDS * 1000 + 2_000);
    const stepped = await first.bot.waitForLine((l) => parseLogLine(l)?.msg === "stopped polling Telegram", 1_000);
    const time = (line: string) => Date.parse(String(parseLogLine(line)?.time));
    expect(time(tookOver)).toBeGreaterThanOrEqual(time(stepped));
    // Released during the shutdown, not left to die with the process: well within one takeover period.
    expect(time(tookOver) - stoppedAt).toBeLessThan(TAKEOVER_SECONDS * 1000);
    expect((await first.bot.closed).code).toBe(0);
    await rig.tg.sendText({ from: ADMIN, chat: ADMIN_CHAT, text: "/health" });
    const health = await rig.tg.waitForBotMessage((m) => m.chatId === ADMIN_CHAT.id && m.text.includes("leader since"), 15_000);
    expect(health.text).toContain(`${hostname()}:${second.bot.child.pid}`);
    expect(conflicts()).toEqual([]);
  });
});
