/**
 * Two bot processes on one PostgreSQL database (TEST_DATABASE_URL; skipped under plain `npm test`): an X account
 * connected through the stand-by (X's OAuth 2.0 redirect may reach any replica) joins the leader's pool without a
 * restart, through the `accounts` wake-up. Real processes: each has only the pool it built itself.
 */
import { randomBytes } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { ADMIN, ADMIN_CHAT, testEnvironment } from "../support/app-harness.js";
import { createPostgresTestDatabase, type TestDatabase } from "../support/database.js";
import { spawnBot, startedReplica, type SpawnedBot } from "../support/spawn-bot.js";
import { startWorkflowRig, type WorkflowRig } from "../support/workflow-rig.js";

const serverUrl = process.env.TEST_DATABASE_URL;
const BOT_COMMAND = ["node", "--import", "tsx", "src/main.ts"] as const;
const CLIENT_ID = "replica-connect-client";
const CLIENT_SECRET = "replica-connect-secret-7781";
const PUBLIC_URL = "https://bot.example";

describe.runIf(serverUrl)("the account pool across replica processes", () => {
  let rig: WorkflowRig;
  let database: TestDatabase | undefined;
  const bots: SpawnedBot[] = [];
  const key = randomBytes(32).toString("base64");

  async function startReplica(url: string): Promise<{ role: string; http: string }> {
    const env = testEnvironment(rig.tg, {
      ...rig.env({ DISCOVERY_CRON: "0 0 1 1 *", X_CLIENT_ID: CLIENT_ID, X_CLIENT_SECRET: CLIENT_SECRET, PUBLIC_URL, ENCRYPTION_KEY: key }),
      DATABASE_URL: url,
      LOG_LEVEL: "info",
    });
    const bot = spawnBot(env, BOT_COMMAND);
    bots.push(bot);
    return startedReplica(bot);
  }

  /** The names of the replica's /health components. */
  const components = async (http: string) => Object.keys(((await (await fetch(`${http}/health`)).json()) as { components: object }).components);

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

  it("an account connected through the stand-by's HTTP joins the leader's pool at once", { timeout: 120_000 }, async () => {
    database = await createPostgresTestDatabase(serverUrl!);
    const url = database.url!;
    await database.handle.close();
    const leader = await startReplica(url);
    const standby = await startReplica(url);
    expect([leader.role, standby.role]).toEqual(["leader", "standby"]);
    rig.x.addOAuth2Client({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUris: [`${PUBLIC_URL}/oauth/x/callback`] });
    const user = rig.x.addUser({ id: "940001", username: "joined_later" });
    expect(await components(leader.http)).not.toContain("x:second");

    await rig.tg.sendText({ from: ADMIN, chat: ADMIN_CHAT, text: "/accounts connect second" });
    const answer = await rig.tg.waitForBotMessage((m) => m.chatId === ADMIN_CHAT.id && m.text.includes("Authorize the bot on X"), 15_000);
    const link = /href="([^"]+)"/.exec(answer.text)![1]!.replaceAll("&amp;", "&");
    const redirect = new URL(rig.x.approveAuthorizationLink(link, user.id));
    const page = await fetch(`${standby.http}${redirect.pathname}${redirect.search}`);
    expect(page.status).toBe(200);
    expect(await components(standby.http)).toContain("x:second");

    await vi.waitFor(async () => expect(await components(leader.http)).toContain("x:second"), { timeout: 10_000, interval: 100 });
  });
});
