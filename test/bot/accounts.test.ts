/**
 * /accounts through the Telegram emulator and the fake X: the list (status, origin, auth kind, load against the
 * limits, rate-limit wait, last verification), the add conversation (each message holding a secret deleted at once,
 * verified with X before it is stored, the secret nowhere in clear: Telegram, logs, database), disable / enable
 * (the pool follows), remove (the question about the bound replies, each answer doing what it says), bad arguments,
 * strangers, and an add interrupted by a restart.
 */
import { randomBytes } from "node:crypto";
import { eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { conversationSessions, replies, xAccounts } from "../../src/db/schema.js";
import { formatLocalTime } from "../../src/text/time.js";
import { JOBS } from "../../src/workflow/services.js";
import { ADMIN, ADMIN_CHAT, STRANGER, startTestApp, type TestApp } from "../support/app-harness.js";
import { createPgliteTestDatabase, databaseTargets, type DatabaseTarget, type TestDatabase } from "../support/database.js";
import type { EmulatorChat } from "../support/telegram-emulator/index.js";
import { capturingLogger } from "../support/logger.js";
import { createPublishFixture } from "../support/publish-fixture.js";
import { snapshotTables } from "../support/table-snapshot.js";
import { buttonData, OUR_ACCESS_TOKEN, startWorkflowRig, type WorkflowRig } from "../support/workflow-rig.js";

const KEY = randomBytes(32).toString("base64");
const FRESH_TOKEN = "fresh-token-7f3a9c0d";
const FRESH_SECRET = "fresh-secret-b81d44e2";
const TIME_ZONE = "Europe/Berlin";

describe("/accounts", () => {
  let rig: WorkflowRig;
  let app: TestApp | undefined;
  let logs: string[] = [];
  const databases: TestDatabase[] = [];

  const addUsers = () => {
    rig.x.addUser({ id: "900003", username: "replygal", accessToken: "second-access-token" });
    rig.x.addUser({ id: "900301", username: "fresh_one", accessToken: FRESH_TOKEN });
  };

  beforeAll(async () => {
    rig = await startWorkflowRig();
    addUsers();
  });
  afterEach(async () => {
    await app?.stop();
    app = undefined;
    for (const database of databases.splice(0)) await database.dispose();
    rig.reset();
    addUsers();
  });
  afterAll(async () => {
    await rig.close();
  });

  async function start(env: Record<string, string> = {}, database?: TestDatabase): Promise<TestApp> {
    const captured = capturingLogger();
    logs = captured.lines;
    app = await startTestApp(rig.tg, {
      env: rig.env({ ENCRYPTION_KEY: KEY, X_EXTRA_ACCOUNTS: "second:second-access-token:second-secret", BOT_TIMEZONE: TIME_ZONE, ...env }),
      logger: captured.logger,
      database,
    });
    return app;
  }
  const running = () => app!;
  /** A database of `target`, thrown away after the test. */
  const created = async (target: DatabaseTarget) => {
    const database = await target.create();
    databases.push(database);
    return database;
  };
  const say = (text: string, chat?: EmulatorChat) => rig.tg.sendText({ from: ADMIN, chat, text });
  const answer = (words: string, chatId = ADMIN.id) => rig.tg.waitForBotMessage((m) => m.chatId === chatId && m.text.includes(words));
  const fixture = () =>
    createPublishFixture({ db: () => running().database.handle.db, x: () => rig.x, now: () => new Date(), token: OUR_ACCESS_TOKEN });
  const idOf = (label: string) => running().app.workflow.accounts.all().find((account) => account.label === label)!.id;
  // A run that starts after the call: one already in flight (a wake-up's, maybe still paused) is followed by another.
  const publishRun = () => running().app.scheduler.runNow(JOBS.publish, { rerun: true });
  const postedBy = () => rig.x.requests({ method: "POST", path: "/2/tweets" }).map((request) => request.callerUserId);
  const replyStatus = async (id: number) =>
    (await running().database.handle.db.select().from(replies).where(eq(replies.id, id)))[0]!.status;

  /** /accounts add in the private chat, up to the access token; returns the ids of the messages that held secrets. */
  async function addUpToToken(label: string, token: string): Promise<number[]> {
    await say("/accounts add");
    await answer("Send a label");
    await say(label);
    await answer("API key of the X app");
    const appWord = await say("default");
    await answer("Send the access token of the account");
    const tokenMessage = await say(token);
    await answer("Send the access token secret");
    return [appWord, tokenMessage];
  }

  it.each(databaseTargets())("lists each account: status (failed with its reason), origin, auth kind, posts against its limits, rate-limit wait, verification ($name)", async (target) => {
    await start({ MAX_POSTS_PER_HOUR: "7", MAX_POSTS_PER_DAY: "40" }, await created(target));
    const { accounts } = running().app.workflow;
    const seeded = await fixture().seedReply(idOf("main"), rig.alice, { bound: true });
    await publishRun();
    expect(await replyStatus(seeded.reply.id)).toBe("published");
    await accounts.markVerified(idOf("main"), { id: rig.us.id, username: rig.us.username });
    await accounts.setStatus(idOf("second"), "failed", "X refused the credentials (401)");
    const until = new Date(Date.now() + 10 * 60_000);
    await accounts.rateLimitUntil(idOf("main"), until);

    await say("/accounts", ADMIN_CHAT);
    const list = await answer("X accounts", ADMIN_CHAT.id);
    const [main, second] = list.text.split("\n\n")[1]!.split(/\n(?=\S)/);
    expect(main).toContain("🟢 main · @replyguy · active · env · OAuth 1.0a");
    expect(main).toContain("posts 1/7 this hour, 1/40 today");
    expect(main).toContain(`rate limited until ${formatLocalTime(until, TIME_ZONE)}`);
    expect(main).toMatch(/verified \d\d:\d\d \(Europe\/Berlin\)/);
    expect(second).toContain("🔴 second · ");
    expect(second).toContain("failed: X refused the credentials (401) · env · OAuth 1.0a");
    expect(second).toContain("posts 0/7 this hour, 0/40 today · no rate-limit wait · not verified yet");
  });

  it("shows X's live POST window once this process has posted; after a restart, the stored one until the first call", async () => {
    const database = await created(databaseTargets()[0]!);
    await start({}, database);
    rig.x.setRateLimit("POST /2/tweets", 2, 900);
    const main = running().app.workflow.accounts.get(idOf("main"))!;
    const seeded = await fixture().seedReply(main.id, rig.alice, { bound: true });
    await publishRun();
    expect(await replyStatus(seeded.reply.id)).toBe("published");
    const window = main.client.rateLimits().get("POST /2/tweets")!;
    const resets = formatLocalTime(window.resetAt, TIME_ZONE);
    const mainLine = async () => {
      const before = new Set(rig.tg.botMessages(ADMIN_CHAT.id).map((m) => m.messageId));
      await say("/accounts", ADMIN_CHAT);
      const list = await rig.tg.waitForBotMessage((m) => m.chatId === ADMIN_CHAT.id && !before.has(m.messageId) && m.text.includes("X accounts"));
      return list.text.split("\n\n")[1]!.split(/\n(?=\S)/)[0]!;
    };
    expect(await mainLine()).toContain(`X window 1/2 posts left, resets ${resets}`);

    // Spent by a call the row knows nothing of (a 200 whose headers say 0 left): the live window says so.
    await main.client.postReply("one more", rig.x.addTweet({ authorId: rig.alice.id, text: "another" }).id);
    expect(await mainLine()).toContain(`rate limited until ${resets} ·`);

    // The next process has only the window saved at shutdown, and says it is the stored one.
    await running().stop();
    await start({}, database);
    expect(await mainLine()).toContain(`rate limited until ${resets} (stored)`);
  });

  it("add: verified with X, stored sealed, in the pool; each secret message deleted at once; the secrets nowhere in clear", async () => {
    await start();
    const db = running().database.handle.db;
    const secretMessages = await addUpToToken("fresh", FRESH_TOKEN);
    // Mid-conversation the token sits in the conversation's state: sealed. (Updates of a chat run in order, so once
    // the next one is answered the state written after the token is in the database.)
    await say("/accounts");
    await answer("Finish adding the account first, or /cancel.");
    expect(JSON.stringify(await snapshotTables(db))).not.toContain(FRESH_TOKEN);
    secretMessages.push(await say(FRESH_SECRET));
    await answer("✅ Added @fresh_one as fresh.");

    const deleted = rig.tg.calls("deleteMessage").filter((call) => call.ok).map((call) => Number(call.payload.message_id));
    expect(deleted).toEqual(secretMessages);
    expect(rig.x.requests({ method: "GET", path: "/2/users/me" }).some((request) => request.callerUserId === "900301")).toBe(true);
    const [row] = await db.select().from(xAccounts).where(eq(xAccounts.label, "fresh"));
    expect(row).toMatchObject({ origin: "stored", authKind: "oauth1", status: "active", username: "fresh_one" });
    const fresh = running().app.workflow.accounts.all().find((account) => account.label === "fresh")!;
    expect(await fresh.client.me()).toMatchObject({ username: "fresh_one" });

    const everywhere = [JSON.stringify(await snapshotTables(db)), JSON.stringify(rig.tg.calls()), logs.join("")];
    for (const secret of [FRESH_TOKEN, FRESH_SECRET]) for (const place of everywhere) expect(place).not.toContain(secret);
    expect(logs.length).toBeGreaterThan(0);
  });

  it("add with revoked credentials is refused and stores nothing; a malformed secret is deleted and asked again", async () => {
    rig.x.addUser({ id: "900302", username: "revoked_one", accessToken: "revoked-token-123" });
    rig.x.setUserAccess("revoked_one", "revoked");
    await start();
    const before = running().app.workflow.accounts.all().length;
    await addUpToToken("gone", "revoked-token-123");
    const malformed = await say("has spaces in it");
    await answer("That does not look like an access token secret");
    expect(rig.tg.calls("deleteMessage").map((call) => Number(call.payload.message_id))).toContain(malformed);
    await say("revoked-secret-456");
    await answer("❌ X refused these credentials (401)");
    const rows = await running().database.handle.db.select().from(xAccounts).where(eq(xAccounts.label, "gone"));
    expect(rows).toEqual([]);
    expect(running().app.workflow.accounts.all()).toHaveLength(before);
  });

  it("add: a taken label is asked again, /cancel leaves and nothing is stored; other commands work again after", async () => {
    await start();
    await say("/accounts add");
    await answer("Send a label");
    await say("main");
    await answer("The label main is taken");
    await say("/cancel");
    await answer("Adding the account cancelled; nothing was stored.");
    await say("/accounts");
    await answer("<b>X accounts</b> (2)");
  });

  it("add in a group is refused with the hint to use a private chat, and nothing typed there is taken", async () => {
    await start();
    await say("/accounts add", ADMIN_CHAT);
    await answer("send /accounts add to me in a private chat", ADMIN_CHAT.id);
    await say("some-token-typed-here", ADMIN_CHAT);
    await say("/accounts", ADMIN_CHAT);
    await answer("<b>X accounts</b> (2)", ADMIN_CHAT.id);
    expect(rig.tg.botMessages().some((m) => m.text.includes("Send a label"))).toBe(false);
    expect(rig.tg.calls("deleteMessage")).toEqual([]);
  });

  it.each(databaseTargets())("disable: the account gets no publishes (its bound reply waits); enable: verified again and back in the pool ($name)", async (target) => {
    await start({}, await created(target));
    await say("/accounts disable second", ADMIN_CHAT);
    await answer("Disabled second", ADMIN_CHAT.id);
    const seed = fixture();
    const free = [];
    for (let i = 0; i < 3; i++) free.push(await seed.seedReply(idOf("second"), rig.alice));
    const bound = await seed.seedReply(idOf("second"), rig.alice, { bound: true });
    await publishRun();
    await publishRun();
    for (const { reply } of free) expect(await replyStatus(reply.id)).toBe("published");
    expect(postedBy()).toEqual(["900001", "900001", "900001"]);
    expect(await replyStatus(bound.reply.id)).toBe("approved");

    await say("/accounts enable second", ADMIN_CHAT);
    await answer("Enabled second (@replygal): X accepted it.", ADMIN_CHAT.id);
    const [row] = await running().database.handle.db.select().from(xAccounts).where(eq(xAccounts.label, "second"));
    expect(row!.lastVerifiedAt).not.toBeNull();
    await publishRun();
    expect(await replyStatus(bound.reply.id)).toBe("published");
    expect(postedBy().at(-1)).toBe("900003");
  });

  it.each(databaseTargets())("remove asks about the bound replies: Don't remove keeps it, Cancel them cancels them, Keep them waiting keeps them for a re-add ($name)", async (target) => {
    await start({}, await created(target));
    const { accountStore } = running().app;
    const credentials = { appKey: "app-key-123", appSecret: "app-secret-123", accessToken: FRESH_TOKEN, accessSecret: FRESH_SECRET };
    await accountStore.store("extra", { authKind: "oauth1", credentials });
    const seed = fixture();
    const bound = [await seed.seedReply(idOf("extra"), rig.alice, { bound: true }), await seed.seedReply(idOf("extra"), rig.alice, { bound: true })];
    await running().database.handle.db.update(replies).set({ status: "awaiting_approval" }).where(eq(replies.id, bound[0]!.reply.id));
    const free = await seed.seedReply(idOf("extra"), rig.alice);
    await running().app.workflow.pause.pause(ADMIN.id);

    await say("/accounts remove main", ADMIN_CHAT);
    await answer("main comes from the environment", ADMIN_CHAT.id);

    await say("/accounts remove extra", ADMIN_CHAT);
    let question = await answer("2 replies await approval or publishing", ADMIN_CHAT.id);
    await rig.tg.waitForCallbackAnswer(
      await rig.tg.pressButton({ from: ADMIN, chat: ADMIN_CHAT, messageId: question.messageId, data: buttonData(question, "Don't remove") }),
    );
    await answer("extra stays.", ADMIN_CHAT.id);
    expect(running().app.workflow.accounts.all().map((account) => account.label)).toContain("extra");

    await say("/accounts remove extra", ADMIN_CHAT);
    question = await rig.tg.waitForBotMessage((m) => m.messageId > question.messageId && m.text.includes("2 replies await"));
    await rig.tg.pressButton({ from: ADMIN, chat: ADMIN_CHAT, messageId: question.messageId, data: buttonData(question, "Cancel them") });
    await answer("Removed extra (@fresh_one); 2 bound replies cancelled.", ADMIN_CHAT.id);
    for (const { reply } of bound) expect(await replyStatus(reply.id)).toBe("cancelled");
    expect(await replyStatus(free.reply.id)).toBe("approved");
    expect(running().app.workflow.accounts.all().map((account) => account.label)).not.toContain("extra");

    // Keep them waiting: the reply stays bound and goes out once the same X account is added again.
    await accountStore.store("extra2", { authKind: "oauth1", credentials });
    const kept = await seed.seedReply(idOf("extra2"), rig.alice, { bound: true });
    await say("/accounts remove extra2", ADMIN_CHAT);
    question = await answer("1 reply awaits", ADMIN_CHAT.id);
    await rig.tg.pressButton({ from: ADMIN, chat: ADMIN_CHAT, messageId: question.messageId, data: buttonData(question, "Keep it waiting") });
    await answer("Removed extra2 (@fresh_one); its bound replies wait for it to be added again.", ADMIN_CHAT.id);
    expect(await replyStatus(kept.reply.id)).toBe("approved");
    await accountStore.store("back", { authKind: "oauth1", credentials });
    await running().app.workflow.pause.resume(ADMIN.id);
    await publishRun();
    expect(await replyStatus(kept.reply.id)).toBe("published");
    expect(rig.x.repliesTo(kept.post.id).map((tweet) => tweet.author_id)).toEqual(["900301"]);
  });

  it("bad arguments get a short answer and change nothing; an unknown label is named", async () => {
    await start();
    const db = running().database.handle.db;
    const before = await snapshotTables(db);
    await say("/accounts disable", ADMIN_CHAT);
    await answer("Usage: /accounts disable <label>", ADMIN_CHAT.id);
    await say("/accounts enable a b", ADMIN_CHAT);
    await answer("Usage: /accounts enable <label>", ADMIN_CHAT.id);
    await say("/accounts frobnicate", ADMIN_CHAT);
    await answer("/accounts remove <label>", ADMIN_CHAT.id);
    await say("/accounts disable nope", ADMIN_CHAT);
    await answer("No account nope.", ADMIN_CHAT.id);
    await say("/accounts remove nope", ADMIN_CHAT);
    await rig.tg.waitForBotMessage((m) => m.text === "No account nope." && m.chatId === ADMIN_CHAT.id && rig.tg.botMessages(ADMIN_CHAT.id).filter((x) => x.text === "No account nope.").length === 2);
    expect(await snapshotTables(db)).toEqual(before);
  });

  it("a stranger's /accounts is refused like any other command", async () => {
    await start();
    await rig.tg.sendText({ from: STRANGER, text: "/accounts add" });
    await rig.tg.waitForBotMessage((m) => m.chatId === STRANGER.id && m.text === "Sorry, this bot is private.");
    await rig.tg.sendText({ from: STRANGER, text: "/accounts" });
    await rig.tg.sendText({ from: STRANGER, chat: ADMIN_CHAT, text: "/accounts disable second" });
    await say("/accounts", ADMIN_CHAT);
    await answer("<b>X accounts</b> (2)", ADMIN_CHAT.id);
    expect(rig.tg.botMessages(STRANGER.id).map((m) => m.text)).toEqual(["Sorry, this bot is private."]);
    const adminChat = rig.tg.botMessages(ADMIN_CHAT.id).map((m) => m.text);
    expect(adminChat.filter((text) => text.includes("X accounts"))).toHaveLength(1);
    expect(adminChat.some((text) => text.includes("Disabled"))).toBe(false);
    const [row] = await running().database.handle.db.select().from(xAccounts).where(eq(xAccounts.label, "second"));
    expect(row!.status).toBe("active");
  });

  it("an add interrupted by a restart resumes in the next app on the same database, its state sealed meanwhile", async () => {
    const database = await createPgliteTestDatabase();
    databases.push(database);
    await start({}, database);
    await addUpToToken("fresh", FRESH_TOKEN);
    await running().stop();
    app = undefined;
    const [state] = await database.handle.db.select().from(conversationSessions);
    expect(JSON.stringify(state!.value)).toMatch(/^\{"sealed":"v1:/);

    await start({}, database);
    await say(FRESH_SECRET);
    await answer("✅ Added @fresh_one as fresh.");
    expect(running().app.workflow.accounts.all().map((account) => account.label)).toContain("fresh");
  });
});
