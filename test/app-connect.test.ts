/**
 * Connecting an X account in OAuth 2.0 user context, end to end in the app: /accounts connect answers with an X
 * authorization link; the user authorizes on (the fake) X; X's redirect reaches our HTTP server; the account is
 * stored sealed, joins the pool at once and publishes with its Bearer token; the admin chat is told. A link works
 * once and for 10 minutes; a refusal on X gets a clear page; nothing secret reaches Telegram or the database in clear.
 */
import { randomBytes } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { resultRows } from "../src/db/raw-rows.js";
import { xAccounts, xOAuthRequests } from "../src/db/schema.js";
import { SecretBox } from "../src/kit/secret-box.js";
import { ALERTS_JOB } from "../src/app.js";
import { JOBS } from "../src/workflow/services.js";
import { ADMIN, ADMIN_CHAT, startTestApp, type TestApp } from "./support/app-harness.js";
import { buttonData, startWorkflowRig, type WorkflowRig } from "./support/workflow-rig.js";

const CLIENT_ID = "connect-client-id";
const CLIENT_SECRET = "connect-client-secret-5521";
const PUBLIC_URL = "https://bot.example";
const KEY = randomBytes(32);

/** Every row of a table as the database holds it, as one string. */
async function rawTable(app: TestApp, table: string): Promise<string> {
  const result = await app.database.handle.db.execute(sql.raw(`select * from ${table}`));
  return JSON.stringify(resultRows(result));
}

describe("connecting an X account with OAuth 2.0", () => {
  let rig: WorkflowRig;
  let app: TestApp | undefined;

  beforeAll(async () => {
    rig = await startWorkflowRig();
  });
  afterEach(async () => {
    await app?.stop();
    app = undefined;
    rig.reset();
  });
  afterAll(async () => {
    await rig.close();
  });

  async function start(extra: Record<string, string> = {}): Promise<TestApp> {
    rig.x.addOAuth2Client({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUris: [`${PUBLIC_URL}/oauth/x/callback`] });
    app = await startTestApp(rig.tg, {
      env: rig.env({ X_CLIENT_ID: CLIENT_ID, X_CLIENT_SECRET: CLIENT_SECRET, PUBLIC_URL, ENCRYPTION_KEY: KEY.toString("base64"), ...extra }),
    });
    return app;
  }

  /** Asks for a link in the admin chat; returns the authorization URL the bot answered with (a new one each time). */
  async function askLink(label: string): Promise<string> {
    const before = new Set(rig.tg.botMessages(ADMIN_CHAT.id).map((m) => m.messageId));
    await rig.tg.sendText({ from: ADMIN, chat: ADMIN_CHAT, text: `/accounts connect ${label}` });
    const answer = await rig.tg.waitForBotMessage(
      (m) => m.chatId === ADMIN_CHAT.id && !before.has(m.messageId) && m.text.includes("Authorize the bot on X") && m.text.includes(`<b>${label}</b>`),
    );
    const href = /href="([^"]+)"/.exec(answer.text)?.[1];
    expect(href).toBeDefined();
    return href!.replaceAll("&amp;", "&");
  }

  /** X's redirect, sent to our HTTP server (the browser would reach it at PUBLIC_URL). */
  async function callback(running: TestApp, redirect: string): Promise<{ status: number; text: string }> {
    const url = new URL(redirect);
    const response = await fetch(`${running.httpUrl}${url.pathname}${url.search}`);
    return { status: response.status, text: await response.text() };
  }

  it("link → authorize on X → callback over HTTP: stored sealed, in the pool at once, publishes with its Bearer token", async () => {
    const running = await start();
    const user = rig.x.addUser({ id: "900301", username: "connected_one" });
    const link = await askLink("second");
    expect(new URL(link).searchParams.get("code_challenge_method")).toBe("s256");
    const [pending] = await running.database.handle.db.select().from(xOAuthRequests);
    const verifier = new SecretBox(KEY).open(pending!.codeVerifier).plaintext;
    const redirect = rig.x.approveAuthorizationLink(link, user.id);
    const code = new URL(redirect).searchParams.get("code")!;

    const page = await callback(running, redirect);
    expect(page.status).toBe(200);
    expect(page.text).toContain("You can close this tab");
    await rig.tg.waitForBotMessage((m) => m.chatId === ADMIN_CHAT.id && m.text.includes("Connected @connected_one as <b>second</b>"));

    const [row] = await running.database.handle.db.select().from(xAccounts).where(eq(xAccounts.label, "second"));
    expect(row).toMatchObject({ origin: "stored", authKind: "oauth2", status: "active", xUserId: user.id, username: "connected_one" });
    const session = JSON.parse(new SecretBox(KEY).open(row!.credentials!).plaintext) as { accessToken: string; refreshToken: string };
    const secrets = [session.accessToken, session.refreshToken, code, verifier, CLIENT_SECRET];
    const stored = (await rawTable(running, "x_accounts")) + (await rawTable(running, "x_oauth_requests"));
    for (const secret of secrets) expect(stored).not.toContain(secret);
    expect(running.app.workflow.accounts.all().map((account) => account.label)).toContain("second");

    // A post that summons the new account is answered from it, with its OAuth 2.0 Bearer token.
    const post = rig.x.addTweet({ authorId: rig.alice.id, text: "@connected_one what do you think?" });
    await running.app.scheduler.runNow(JOBS.discovery);
    const card = await rig.tg.waitForBotMessage((m) => m.chatId === ADMIN_CHAT.id && m.text.includes("what do you think") && m.inlineKeyboard.length > 0);
    const pressed = await rig.tg.pressButton({ from: ADMIN, chat: ADMIN_CHAT, messageId: card.messageId, data: buttonData(card, "Approve") });
    await rig.tg.waitForCallbackAnswer(pressed);
    await rig.tg.waitForBotMessage((m) => m.messageId === card.messageId && m.text.includes("Published"));
    expect(rig.x.repliesTo(post.id)).toHaveLength(1);
    expect(rig.x.requests({ method: "POST", path: "/2/tweets" }).map((request) => request.callerUserId)).toEqual([user.id]);

    const telegram = JSON.stringify(rig.tg.calls());
    for (const secret of secrets) expect(telegram).not.toContain(secret);
  });

  it("a link works once and for 10 minutes: a reused or expired state is refused (400) and nothing is stored", async () => {
    const running = await start();
    const user = rig.x.addUser({ id: "900302", username: "connected_two" });
    const redirect = rig.x.approveAuthorizationLink(await askLink("twice"), user.id);
    expect((await callback(running, redirect)).status).toBe(200);
    const accountsAfterFirst = (await running.database.handle.db.select().from(xAccounts)).length;
    const tokenRequests = () => rig.x.requests({ method: "POST", path: "/2/oauth2/token" }).length;
    const exchanged = tokenRequests();

    const replay = await callback(running, redirect);
    expect(replay.status).toBe(400);
    expect(replay.text).toContain("unknown, expired or already used");

    const late = rig.x.approveAuthorizationLink(await askLink("late"), user.id);
    await running.database.handle.db.update(xOAuthRequests).set({ expiresAt: sql`now() - interval '1 second'` }).where(eq(xOAuthRequests.label, "late"));
    const expired = await callback(running, late);
    expect(expired.status).toBe(400);
    expect(expired.text).toContain("unknown, expired or already used");

    const unknown = await callback(running, `${PUBLIC_URL}/oauth/x/callback?state=made-up&code=whatever`);
    expect(unknown.status).toBe(400);
    expect((await callback(running, `${PUBLIC_URL}/oauth/x/callback?code=whatever`)).status).toBe(400);
    expect(tokenRequests()).toBe(exchanged);
    expect(await running.database.handle.db.select().from(xAccounts)).toHaveLength(accountsAfterFirst);

    // The same X user connected again under another label: its account gets the new session, no second row.
    const again = await callback(running, rig.x.approveAuthorizationLink(await askLink("again"), user.id));
    expect(again.status).toBe(200);
    expect(again.text).toContain("@connected_two is reconnected as twice.");
    expect(await running.database.handle.db.select().from(xAccounts)).toHaveLength(accountsAfterFirst);
    expect(await running.database.handle.db.select().from(xAccounts).where(eq(xAccounts.label, "again"))).toHaveLength(0);
  });

  it("reconnecting a failed account: same row (label, limits, bound reply), new session sealed, active with one session_recovered", async () => {
    const running = await start();
    const db = running.database.handle.db;
    const user = rig.x.addUser({ id: "900304", username: "comes_back" });
    expect((await callback(running, rig.x.approveAuthorizationLink(await askLink("club"), user.id))).status).toBe(200);
    const [before] = await db.update(xAccounts).set({ maxPostsPerHour: 7 }).where(eq(xAccounts.label, "club")).returning();
    const post = rig.x.addTweet({ authorId: rig.alice.id, text: "@comes_back are you still there?" });
    await running.app.scheduler.runNow(JOBS.discovery);
    const card = await rig.tg.waitForBotMessage((m) => m.chatId === ADMIN_CHAT.id && m.text.includes("still there") && m.inlineKeyboard.length > 0);

    // X revokes the app for that user: every token dies and the account leaves the pool.
    rig.x.setUserAccess(user.id, "revoked");
    rig.x.setUserAccess(user.id, "ok");
    await running.app.workflow.accounts.setStatus(before!.id, "failed", "X refused to renew its OAuth 2.0 session: reconnect needed");
    // Its breaker opened on the way down; a fresh session is verified regardless and closes it.
    const breaker = running.app.registry.policy("x:club", "x");
    for (let i = 0; i < 10 && breaker.state !== "open"; i++) {
      await breaker.execute(() => Promise.reject(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }))).catch(() => undefined);
    }
    expect(breaker.state).toBe("open");
    const pressed = await rig.tg.pressButton({ from: ADMIN, chat: ADMIN_CHAT, messageId: card.messageId, data: buttonData(card, "Approve") });
    await rig.tg.waitForCallbackAnswer(pressed);
    await running.app.scheduler.runNow(JOBS.publish, { rerun: true });
    expect(rig.x.repliesTo(post.id)).toHaveLength(0);

    const page = await callback(running, rig.x.approveAuthorizationLink(await askLink("club"), user.id));
    expect(page.status).toBe(200);
    expect(page.text).toContain("@comes_back is reconnected as club");
    await rig.tg.waitForBotMessage((m) => m.chatId === ADMIN_CHAT.id && m.text.includes("Reconnected @comes_back (<b>club</b>)"));
    const rows = await db.select().from(xAccounts).where(eq(xAccounts.xUserId, user.id));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id: before!.id, label: "club", status: "active", maxPostsPerHour: 7, failureReason: null });
    expect(rows[0]!.credentials).not.toBe(before!.credentials);

    // The reply bound to it goes out from it, with the new token, at once.
    await rig.tg.waitForBotMessage((m) => m.messageId === card.messageId && m.text.includes("Published"));
    expect(rig.x.repliesTo(post.id)).toHaveLength(1);
    await running.app.scheduler.runNow(ALERTS_JOB);
    const alerts = (type: string) => rig.tg.botMessages(ADMIN_CHAT.id).filter((m) => m.text.includes(`<code>${type}</code>`));
    expect(alerts("session_recovered")).toHaveLength(1);

    // Connected again while active (fresh tokens over working ones): no second session_recovered.
    expect((await callback(running, rig.x.approveAuthorizationLink(await askLink("club"), user.id))).status).toBe(200);
    await running.app.scheduler.runNow(ALERTS_JOB);
    expect(alerts("session_recovered")).toHaveLength(1);

    // A disabled account gets the new session but stays disabled: the admin's choice.
    await db.update(xAccounts).set({ status: "disabled" }).where(eq(xAccounts.id, before!.id));
    expect((await callback(running, rig.x.approveAuthorizationLink(await askLink("club"), user.id))).status).toBe(200);
    await rig.tg.waitForBotMessage((m) => m.chatId === ADMIN_CHAT.id && m.text.includes("it stays disabled until /accounts enable club"));
    expect((await db.select().from(xAccounts).where(eq(xAccounts.id, before!.id)))[0]!.status).toBe("disabled");
  });

  it("an env account is not connected: its label is refused at once, its X user at the callback (the env owns it)", async () => {
    const running = await start();
    await rig.tg.sendText({ from: ADMIN, chat: ADMIN_CHAT, text: "/accounts connect main" });
    await rig.tg.waitForBotMessage((m) => m.chatId === ADMIN_CHAT.id && m.text === "Not connecting: main comes from the environment: its credentials are set there.");
    const page = await callback(running, rig.x.approveAuthorizationLink(await askLink("twin"), rig.us.id));
    expect(page.status).toBe(409);
    expect(page.text).toContain("@replyguy is main, an account from the environment");
    expect(await running.database.handle.db.select().from(xAccounts).where(eq(xAccounts.label, "twin"))).toHaveLength(0);
  });

  it("X's access_denied gets a clear page and a note in the admin chat; nothing is stored", async () => {
    const running = await start();
    const state = new URL(await askLink("denied")).searchParams.get("state")!;
    const page = await callback(running, `${PUBLIC_URL}/oauth/x/callback?state=${encodeURIComponent(state)}&error=access_denied`);
    expect(page.status).toBe(400);
    expect(page.text).toContain("You did not authorize the app on X: nothing was connected.");
    await rig.tg.waitForBotMessage((m) => m.chatId === ADMIN_CHAT.id && m.text.includes("Connecting denied was cancelled on X"));
    expect(await running.database.handle.db.select().from(xAccounts).where(eq(xAccounts.label, "denied"))).toHaveLength(0);
  });

  it("refuses to connect, naming the settings, while X_CLIENT_ID and PUBLIC_URL are not set", async () => {
    app = await startTestApp(rig.tg, { env: rig.env({ ENCRYPTION_KEY: KEY.toString("base64") }) });
    await rig.tg.sendText({ from: ADMIN, chat: ADMIN_CHAT, text: "/accounts connect third" });
    await rig.tg.waitForBotMessage((m) => m.chatId === ADMIN_CHAT.id && m.text === "Not connecting: Connecting X accounts needs X_CLIENT_ID and PUBLIC_URL (see .env.example).");
  });
});
