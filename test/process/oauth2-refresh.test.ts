/**
 * Stored OAuth 2.0 sessions across real processes. A token renewed by one process is committed (rotated refresh
 * token sealed) before it is used, so the next process renews with the rotated token. A process killed (SIGKILL)
 * while X is answering its refresh leaves a session that either still works (X never handled the refresh) or fails
 * the account with a clear "reconnect needed" (X had rotated the token): never a retry loop, never a secret in a log.
 */
import { rmSync } from "node:fs";
import { eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { readOrCreateKeyFile } from "../../src/db/key-file.js";
import { openPglite } from "../../src/db/pglite.js";
import { xAccounts, xOAuthRequests } from "../../src/db/schema.js";
import { SecretBox } from "../../src/kit/secret-box.js";
import type { XOAuth2Session } from "../../src/workflow/account-store.js";
import { createXOAuth2App, type XOAuth2App } from "../../src/x/oauth2.js";
import { ADMIN, ADMIN_CHAT, testEnvironment } from "../support/app-harness.js";
import type { FakeXUser } from "../support/fake-x/index.js";
import { parseLogLine, spawnBot, type SpawnedBot } from "../support/spawn-bot.js";
import { startWorkflowRig, type WorkflowRig } from "../support/workflow-rig.js";
import { migratedDataDir } from "../support/data-dir.js";

const BOT_COMMAND = ["node", "--import", "tsx", "src/main.ts"] as const;
const CLIENT_ID = "process-client-id";
const CLIENT_SECRET = "process-client-secret-3141";
const PUBLIC_URL = "https://bot.example";
const LABEL = "oauth";
/** Issued tokens are inside the 5-minute renewal margin a second after they are issued. */
const SHORT_TTL_SECONDS = 301;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("OAuth 2.0 token refresh across processes", () => {
  let rig: WorkflowRig;
  let user: FakeXUser;
  let app: XOAuth2App;
  let dataDir: string;
  let box: SecretBox;
  const bots: SpawnedBot[] = [];

  const tokenRequests = () => rig.x.requests({ method: "POST", path: "/2/oauth2/token" });

  async function start(extra: Record<string, string> = {}): Promise<SpawnedBot> {
    const bot = spawnBot(
      testEnvironment(rig.tg, {
        ...rig.env(),
        DATA_DIR: dataDir,
        X_CLIENT_ID: CLIENT_ID,
        X_CLIENT_SECRET: CLIENT_SECRET,
        PUBLIC_URL,
        // The boot verification (users/me of every account) is what makes the stored account renew its token.
        SESSION_RECOVERY_ENABLED: "true",
        SESSION_RECOVERY_STARTUP_DELAY: "0",
        SESSION_RECOVERY_MAX_RETRIES: "0",
        SESSION_RECOVERY_TIMEOUT: "20000",
        LOG_LEVEL: "info",
        ...extra,
      }),
      BOT_COMMAND,
    );
    bots.push(bot);
    await bot.waitForLine((l) => parseLogLine(l)?.msg === "reply-guy-bot started", 60_000);
    return bot;
  }

  async function verified(bot: SpawnedBot): Promise<{ restored: string[]; failed: { account: string; reason: string }[] }> {
    const line = await bot.waitForLine((l) => parseLogLine(l)?.msg === "X sessions verified", 40_000);
    return parseLogLine(line) as unknown as { restored: string[]; failed: { account: string; reason: string }[] };
  }

  async function stop(bot: SpawnedBot, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    bot.signal(signal);
    await bot.closed;
  }

  async function storedRow() {
    const database = await openPglite(dataDir);
    try {
      const [row] = await database.db.select().from(xAccounts).where(eq(xAccounts.label, LABEL));
      return { ...row!, session: JSON.parse(box.open(row!.credentials!).plaintext) as XOAuth2Session };
    } finally {
      await database.close();
    }
  }

  /** Connects the user at the fake and stores the session as /accounts connect does, sealed with DATA_DIR's key. */
  async function seedConnectedAccount(): Promise<XOAuth2Session> {
    const link = app.authLink();
    const code = new URL(rig.x.approveAuthorizationLink(link.url, user.id)).searchParams.get("code")!;
    const tokens = await app.exchangeCode(code, link.codeVerifier);
    const session = { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken, expiresAt: tokens.expiresAt.toISOString() };
    const database = await openPglite(dataDir);
    await database.migrate();
    await database.db.insert(xAccounts).values({
      label: LABEL,
      origin: "stored",
      authKind: "oauth2",
      credentials: box.seal(JSON.stringify(session)),
      xUserId: user.id,
      username: user.username,
    });
    await database.close();
    return session;
  }

  /** Waits until X has received `count` token requests. */
  async function tokenRequestCount(count: number): Promise<void> {
    for (let waited = 0; tokenRequests().length < count; waited += 50) {
      if (waited > 30_000) throw new Error(`only ${tokenRequests().length} token requests`);
      await sleep(50);
    }
  }

  beforeAll(async () => {
    rig = await startWorkflowRig();
  });
  beforeEach(() => {
    dataDir = migratedDataDir("rgb-oauth2-");
    box = new SecretBox(Buffer.from(readOrCreateKeyFile(dataDir).key, "base64"));
    user = rig.x.addUser({ id: "900401", username: "oauth_proc" });
    rig.x.addOAuth2Client({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUris: [`${PUBLIC_URL}/oauth/x/callback`] });
    rig.x.setOAuth2AccessTokenTtl(SHORT_TTL_SECONDS);
    app = createXOAuth2App({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUri: `${PUBLIC_URL}/oauth/x/callback`, apiRoot: rig.x.baseUrl });
  });
  afterEach(async () => {
    for (const bot of bots.splice(0)) await stop(bot, "SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
    rig.reset();
  });
  afterAll(async () => {
    await rig.close();
  });

  it("connect through a real process at debug level: no code, verifier, token or client secret in its output", { timeout: 120_000 }, async () => {
    const bot = await start({ LOG_LEVEL: "debug", SESSION_RECOVERY_ENABLED: "false" });
    const started = parseLogLine(bot.lines.find((l) => parseLogLine(l)?.msg === "reply-guy-bot started")!)!;
    const port = String(started.http).split(":").at(-1);
    await rig.tg.sendText({ from: ADMIN, chat: ADMIN_CHAT, text: `/accounts connect ${LABEL}` });
    const answer = await rig.tg.waitForBotMessage((m) => m.chatId === ADMIN_CHAT.id && m.text.includes("Authorize the bot on X"), 20_000);
    const link = /href="([^"]+)"/.exec(answer.text)![1]!.replaceAll("&amp;", "&");
    const redirect = new URL(rig.x.approveAuthorizationLink(link, user.id));
    const page = await fetch(`http://127.0.0.1:${port}${redirect.pathname}${redirect.search}`);
    expect(page.status).toBe(200);
    await rig.tg.waitForBotMessage((m) => m.chatId === ADMIN_CHAT.id && m.text.includes(`Connected @${user.username}`), 20_000);
    await stop(bot);
    const database = await openPglite(dataDir);
    const [pending] = await database.db.select().from(xOAuthRequests);
    await database.close();
    const { session } = await storedRow();
    const secrets = [redirect.searchParams.get("code")!, box.open(pending!.codeVerifier).plaintext, session.accessToken, session.refreshToken!, CLIENT_SECRET];
    const output = bot.lines.join("\n");
    expect(output).toContain("reply-guy-bot started");
    for (const secret of secrets) expect(output).not.toContain(secret);
  });

  it("a renewed session survives a restart: the next process renews with the rotated token it committed", { timeout: 180_000 }, async () => {
    const seeded = await seedConnectedAccount();
    const first = await start();
    expect((await verified(first)).restored).toContain(LABEL);
    await stop(first);
    const afterFirst = await storedRow();
    expect(afterFirst.status).toBe("active");
    expect(afterFirst.session.refreshToken).not.toBe(seeded.refreshToken);
    // X rotated: the seeded refresh token is dead, the stored one is the only live one.
    await expect(app.refresh(seeded.refreshToken!)).rejects.toMatchObject({ reason: "unauthorized" });
    expect(rig.x.liveOAuth2RefreshTokens(user.id)).toBe(1);

    const second = await start();
    expect((await verified(second)).restored).toContain(LABEL);
    await stop(second);
    const afterSecond = await storedRow();
    expect(afterSecond.status).toBe("active");
    expect(afterSecond.session.refreshToken).not.toBe(afterFirst.session.refreshToken);
    // Every refresh X got was granted, but for the test's own try of the dead seeded token.
    expect(tokenRequests().filter((request) => request.status !== 200)).toHaveLength(1);
    const secrets = [seeded, afterFirst.session, afterSecond.session].flatMap((s) => [s.accessToken, s.refreshToken!]);
    for (const bot of [first, second]) {
      for (const secret of [...secrets, CLIENT_SECRET]) expect(bot.lines.join("\n")).not.toContain(secret);
    }
  });

  it("SIGKILL after X rotated the token but before our commit: the next process fails the account, reconnect needed, once", { timeout: 180_000 }, async () => {
    const seeded = await seedConnectedAccount();
    const before = tokenRequests().length;
    rig.x.enqueueFault({ method: "POST", path: "/2/oauth2/token" }, { kind: "commitThenDelay", ms: 60_000 });
    const first = await start();
    await tokenRequestCount(before + 1);
    await stop(first, "SIGKILL");
    expect((await storedRow()).session).toEqual(seeded);

    const second = await start();
    const report = await verified(second);
    expect(report.failed).toEqual([{ account: LABEL, reason: expect.stringContaining("reconnect needed") as string }]);
    await sleep(3_000);
    // One refresh tried with the stored token, refused; nothing since (no loop).
    expect(tokenRequests()).toHaveLength(before + 2);
    await stop(second);
    const row = await storedRow();
    expect(row.status).toBe("failed");
    expect(row.failureReason).toBe("X refused to renew its OAuth 2.0 session (revoked or expired): reconnect needed (/accounts connect)");
    expect(row.session.refreshToken).toBeUndefined();
    for (const bot of [first, second]) {
      for (const secret of [seeded.accessToken, seeded.refreshToken!, CLIENT_SECRET]) expect(bot.lines.join("\n")).not.toContain(secret);
    }
  });

  it("SIGKILL while X had not handled the refresh yet: the next process renews with the stored token and stays active", { timeout: 180_000 }, async () => {
    const seeded = await seedConnectedAccount();
    const before = tokenRequests().length;
    rig.x.enqueueFault({ method: "POST", path: "/2/oauth2/token" }, { kind: "delay", ms: 60_000 });
    const first = await start();
    await tokenRequestCount(before + 1);
    await stop(first, "SIGKILL");

    const second = await start();
    expect((await verified(second)).restored).toContain(LABEL);
    await stop(second);
    const row = await storedRow();
    expect(row.status).toBe("active");
    expect(row.session.refreshToken).not.toBe(seeded.refreshToken);
    expect(rig.x.liveOAuth2RefreshTokens(user.id)).toBe(1);
  });
});
