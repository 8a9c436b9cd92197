/**
 * X accounts as sessions, across real processes: a stored account (sealed with the key generated into DATA_DIR)
 * joins the env one; at the next boot, after X revoked it, the background verification reports "restored 1 /
 * failed 1" in the admin chat while /health already answers, and the failed account publishes nothing while the
 * other does. With a shared database, stored accounts and no ENCRYPTION_KEY, the process refuses to start.
 */
import { rmSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { openPglite } from "../../src/db/pglite.js";
import { readOrCreateKeyFile } from "../../src/db/key-file.js";
import { xAccounts } from "../../src/db/schema.js";
import { SecretBox } from "../../src/kit/secret-box.js";
import { ADMIN, ADMIN_CHAT, testEnvironment } from "../support/app-harness.js";
import { createPostgresTestDatabase } from "../support/database.js";
import { parseLogLine, spawnBot, type SpawnedBot } from "../support/spawn-bot.js";
import { buttonData, startWorkflowRig, type WorkflowRig } from "../support/workflow-rig.js";
import { migratedDataDir } from "../support/data-dir.js";

const BOT_COMMAND = ["node", "--import", "tsx", "src/main.ts"] as const;
const SECOND_TOKEN = "stored-second-token-5150";
const SECOND_SECRET = "stored-second-secret-8086";
const SECOND_APP_SECRET = "stored-second-app-secret-6502";
const STORED_SECRETS = [SECOND_TOKEN, SECOND_SECRET, SECOND_APP_SECRET];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The sealed credentials row of the stored account "second". */
function storedSecond(box: SecretBox) {
  const credentials = { appKey: "stored-second-app-key", appSecret: SECOND_APP_SECRET, accessToken: SECOND_TOKEN, accessSecret: SECOND_SECRET };
  return { label: "second", origin: "stored" as const, authKind: "oauth1" as const, credentials: box.seal(JSON.stringify(credentials)) };
}

describe("X account sessions across processes", () => {
  let rig: WorkflowRig;
  const bots: SpawnedBot[] = [];
  const dirs: string[] = [];

  async function start(env: Record<string, string>): Promise<{ bot: SpawnedBot; http: string }> {
    const bot = spawnBot(testEnvironment(rig.tg, { ...env, LOG_LEVEL: "info" }), BOT_COMMAND);
    bots.push(bot);
    const line = await bot.waitForLine((l) => parseLogLine(l)?.msg === "reply-guy-bot started", 60_000);
    return { bot, http: `http://127.0.0.1:${String(parseLogLine(line)?.http).split(":").at(-1)}` };
  }

  beforeAll(async () => {
    rig = await startWorkflowRig();
  });
  afterEach(async () => {
    for (const bot of bots.splice(0)) {
      bot.signal("SIGKILL");
      await bot.closed;
    }
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
    rig.reset();
  });
  afterAll(async () => {
    await rig.close();
  });

  it("boot with one account revoked: one report restored 1 / failed 1, /health answers meanwhile, only the other publishes", { timeout: 180_000 }, async () => {
    const dataDir = migratedDataDir("rgb-sessions-");
    dirs.push(dataDir);
    const second = rig.x.addUser({ id: "900101", username: "second_user", accessToken: SECOND_TOKEN });
    // The account stored as /accounts add will: sealed with the key of DATA_DIR, which the bot then reuses.
    const keyFile = readOrCreateKeyFile(dataDir);
    const seeding = await openPglite(dataDir);
    await seeding.migrate();
    await seeding.db.insert(xAccounts).values(storedSecond(new SecretBox(Buffer.from(keyFile.key, "base64"))));
    await seeding.close();

    // First process: both accounts work; a mention of each becomes a card.
    const first = await start({ ...rig.env({ DISCOVERY_CRON: "* * * * * *" }), DATA_DIR: dataDir });
    expect(first.bot.lines.some((l) => parseLogLine(l)?.msg?.toString().startsWith("ENCRYPTION_KEY not set: using the encryption key generated earlier"))).toBe(true);
    rig.x.addTweet({ authorId: rig.alice.id, text: "@replyguy a question for the env account" });
    rig.x.addTweet({ authorId: rig.alice.id, text: "@second_user a question for the stored account" });
    const cardFor = (text: string) =>
      rig.tg.waitForBotMessage((m) => m.chatId === ADMIN_CHAT.id && m.text.includes(text) && m.inlineKeyboard.length > 0, 30_000);
    const mainCard = await cardFor("a question for the env account");
    const secondCard = await cardFor("a question for the stored account");
    first.bot.signal("SIGTERM");
    await first.bot.closed;
    expect(first.bot.lines.map(parseLogLine).find((entry) => entry?.msg === "2 X sessions preserved")).toMatchObject({ sessions: 2 });

    // X revokes the stored account while the bot is down.
    rig.x.setUserAccess("second_user", "revoked");
    const meBefore = rig.x.requests({ method: "GET", path: "/2/users/me" }).length;
    const secondBootAt = Date.now();
    const secondBoot = await start({
      ...rig.env({ PUBLISH_CRON: "* * * * * *" }),
      DATA_DIR: dataDir,
      SESSION_RECOVERY_ENABLED: "true",
      SESSION_RECOVERY_STARTUP_DELAY: "4000",
      SESSION_RECOVERY_RETRY_DELAY: "100",
      SESSION_RECOVERY_TIMEOUT: "3000",
    });
    // Up and answering while the verification still waits out its startup delay: no users/me asked yet.
    const health = await fetch(`${secondBoot.http}/health`);
    expect(rig.x.requests({ method: "GET", path: "/2/users/me" })).toHaveLength(meBefore);
    expect(((await health.json()) as { components: Record<string, string> }).components).toHaveProperty("x:second");

    const report = await rig.tg.waitForBotMessage((m) => m.chatId === ADMIN_CHAT.id && m.text.includes("sessions_verified"), 30_000);
    expect(report.text).toMatch(/X sessions checked at boot in \d+\.\d s: restored 1 \(main\) \/ failed 1 \(second: X GET \/2\/users\/me failed: HTTP 401/);
    expect(rig.tg.botMessages(ADMIN_CHAT.id).filter((m) => m.text.includes("sessions_verified"))).toHaveLength(1);

    for (const card of [mainCard, secondCard]) {
      const pressed = await rig.tg.pressButton({ from: ADMIN, chat: ADMIN_CHAT, messageId: card.messageId, data: buttonData(card, "Approve") });
      await rig.tg.waitForCallbackAnswer(pressed, 20_000);
    }
    await rig.tg.waitForBotMessage((m) => m.messageId === mainCard.messageId && m.text.includes("Published"), 30_000);
    await sleep(3_000); // three more publish ticks
    const posts = rig.x.requests({ method: "POST", path: "/2/tweets" });
    expect(posts.map((request) => request.callerUserId)).toEqual([rig.us.id]);
    // Since the revocation the stored account was only asked users/me (the verification, the health monitor's recheck).
    const bySecond = rig.x.requests({ callerUserId: second.id }).filter((request) => request.at >= secondBootAt);
    expect(bySecond.length).toBeGreaterThan(0);
    expect(bySecond.filter((request) => request.path !== "/2/users/me")).toEqual([]);

    const after = (await (await fetch(`${secondBoot.http}/health`)).json()) as { components: Record<string, string> };
    expect(after.components["x:second"]).toBe("down");
    for (const bot of [first.bot, secondBoot.bot]) {
      for (const secret of STORED_SECRETS) expect(bot.lines.join("\n")).not.toContain(secret);
    }
  });

  it.runIf(process.env.TEST_DATABASE_URL !== undefined)(
    "DATABASE_URL with a stored account and no ENCRYPTION_KEY: the process exits non-zero naming ENCRYPTION_KEY",
    { timeout: 60_000 },
    async () => {
      const database = await createPostgresTestDatabase(process.env.TEST_DATABASE_URL!);
      try {
        await database.handle.db.insert(xAccounts).values(storedSecond(new SecretBox(randomBytes(32))));
        const bot = spawnBot(testEnvironment(rig.tg, { ...rig.env(), DATABASE_URL: database.url!, LOG_LEVEL: "info" }), BOT_COMMAND);
        bots.push(bot);
        const { code } = await bot.closed;
        expect(code).not.toBe(0);
        expect(bot.lines.join("\n")).toContain("ENCRYPTION_KEY is required: 1 X account is stored in the database (DATABASE_URL)");
        expect(bot.lines.some((l) => parseLogLine(l)?.msg === "reply-guy-bot started")).toBe(false);
      } finally {
        await database.dispose();
      }
    },
  );
});
