import { PGlite } from "@electric-sql/pglite";
import { eq } from "drizzle-orm";
import { pgliteHandle } from "../src/db/pglite.js";
import { posts, replies } from "../src/db/schema.js";
import { REPLY_PRIORITY } from "../src/workflow/replies/create-reply.js";
import { ADMIN, ADMIN_CHAT, startTestApp } from "../test/support/app-harness.js";
import type { BotMessageView } from "../test/support/telegram-emulator/index.js";
import { buttonData, startWorkflowRig } from "../test/support/workflow-rig.js";
import { formatMs } from "./stats.js";

const DRAFTS = 200;
const DEADLINE_MS = 120_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Bulk approve of 200 drafts on the whole app (emulator, fake X with its post limit lifted, embedded database), pacing 0: from the Confirm
 * press to the last publish and to the summary, and the /health command's latency in Telegram while the batch runs.
 * Figures printed, never asserted.
 */
export async function benchBulk(): Promise<void> {
  const rig = await startWorkflowRig();
  const client = await PGlite.create();
  const handle = pgliteHandle(client);
  await handle.migrate();
  // A pool of three accounts: the env's "main" and two more (X_EXTRA_ACCOUNTS), each a user of the fake X.
  const extra = ["pool_b", "pool_c"].map((label, index) => {
    const token = `bench-pool-token-${index}`;
    rig.x.addUser({ id: `90010${index}`, username: `bench_${label}`, accessToken: token });
    return `${label}:${token}:bench-pool-secret`;
  });
  const app = await startTestApp(rig.tg, {
    env: rig.env({ MAX_POSTS_PER_HOUR: "1000", MAX_POSTS_PER_DAY: "10000", X_EXTRA_ACCOUNTS: extra.join(",") }),
    database: { handle, url: undefined, dispose: () => handle.close() },
  });
  const db = app.database.handle.db;
  try {
    await rig.tg.waitForBotMessage((m) => m.text.includes("Recovery report"), 10_000);
    const [account] = app.app.workflow.accounts.all();
    const accountCount = app.app.workflow.accounts.all().length;
    // X allows an account 100 posts per 15 min; lifted here, as the bench measures the bot, not X's limit.
    rig.x.setRateLimit("POST /2/tweets", 10 * DRAFTS, 900);
    for (let n = 0; n < DRAFTS; n++) {
      const tweet = rig.x.addTweet({ authorId: rig.alice.id, text: `a question about bulk replies number ${n}` });
      await db.insert(posts).values({
        tweetId: tweet.id,
        authorId: rig.alice.id,
        authorUsername: rig.alice.username,
        text: tweet.text,
        source: "target",
        sourceDetail: "target:alice",
        accountId: account!.id,
        answerable: true,
        state: "drafted",
      });
      const draft = `Bulk answer number ${n}: it depends on the workload.`;
      await db.insert(replies).values({
        postTweetId: tweet.id,
        priority: REPLY_PRIORITY.target,
        status: "awaiting_approval",
        draft,
        weightedLength: draft.length,
        expiresAt: new Date(Date.now() + 86_400_000),
      });
    }
    const lastId = () => Math.max(0, ...rig.tg.botMessages(ADMIN_CHAT.id).map((m) => m.messageId));
    const press = async (message: BotMessageView, label: string) =>
      rig.tg.waitForCallbackAnswer(
        await rig.tg.pressButton({ from: ADMIN, chat: ADMIN_CHAT, messageId: message.messageId, data: buttonData(message, label), force: true }),
        30_000,
      );

    let before = lastId();
    await rig.tg.sendText({ from: ADMIN, chat: ADMIN_CHAT, text: "/queue" });
    const queue = await rig.tg.waitForBotMessage((m) => m.messageId > before && m.text.startsWith("<b>Queue</b>"), 30_000);
    before = lastId();
    const planStarted = performance.now();
    await press(queue, "Approve all");
    const confirmation = await rig.tg.waitForBotMessage((m) => m.messageId > before && m.text.includes(`Approve ${DRAFTS} drafts?`), 30_000);
    const planMs = performance.now() - planStarted;

    const started = performance.now();
    let lastPublishMs: number | undefined;
    let summaryMs: number | undefined;
    const health: number[] = [];
    const confirmed = press(confirmation, "Confirm");
    const watch = (async () => {
      while (performance.now() - started < DEADLINE_MS) {
        if (lastPublishMs === undefined && rig.posts().length >= DRAFTS) lastPublishMs = performance.now() - started;
        const summary = rig.tg.botMessages(ADMIN_CHAT.id).find((m) => m.messageId === confirmation.messageId && m.text.includes(" done</b>"));
        if (summary) {
          summaryMs = performance.now() - started;
          return;
        }
        await sleep(10);
      }
    })();
    // /health, one after another, while the batch runs.
    while (summaryMs === undefined && performance.now() - started < DEADLINE_MS) {
      const mark = lastId();
      const sent = performance.now();
      await rig.tg.sendText({ from: ADMIN, chat: ADMIN_CHAT, text: "/health" });
      await rig.tg.waitForBotMessage((m) => m.messageId > mark && m.text.includes("Health"), 30_000).catch(() => undefined);
      if (lastPublishMs === undefined) health.push(performance.now() - sent);
      await sleep(50);
    }
    await confirmed;
    await watch;
    const edits = rig.tg.calls("editMessageText").filter((call) => call.payload.message_id === confirmation.messageId);
    const gaps = edits.slice(1).map((call, index) => call.at - edits[index]!.at);
    const [published] = await db.select().from(replies).where(eq(replies.status, "published"));
    const perAccount = new Map<string, number>();
    for (const request of rig.x.requests({ method: "POST", path: "/2/tweets" })) {
      const caller = request.callerUserId ?? "?";
      perAccount.set(caller, (perAccount.get(caller) ?? 0) + 1);
    }
    console.log(`drafts: ${DRAFTS} (${accountCount} accounts, pacing 0, PGlite)`);
    console.log(`POSTs per account (X user id): ${[...perAccount].map(([user, count]) => `${user} ${count}`).join(", ")}`);
    console.log(`confirmation ready (checks incl. X lookup): ${planMs.toFixed(0)} ms`);
    console.log(`Confirm → last publish: ${lastPublishMs === undefined ? "not reached" : `${(lastPublishMs / 1000).toFixed(2)} s`} (${rig.posts().length} posts)`);
    console.log(`Confirm → summary shown: ${summaryMs === undefined ? "not reached" : `${(summaryMs / 1000).toFixed(2)} s`}`);
    console.log(`/health in Telegram while publishing: ${health.length > 0 ? formatMs(health) : "no sample"}`);
    console.log(`progress message edits: ${edits.length}, smallest gap ${gaps.length > 0 ? Math.min(...gaps) : "-"} ms`);
    if (!published) console.log("nothing published");
    // The messages as the emulator holds them (HTML as sent), for the closing note's transcript.
    const texts = [confirmation.text, ...edits.map((call) => String(call.payload.text))];
    for (const [index, text] of [texts[0], texts[1], texts.at(-1)].entries()) {
      console.log(`\n--- ${["confirmation", "first progress edit", "summary"][index]} ---\n${text}`);
    }
  } finally {
    await app.stop();
    await handle.close();
    await rig.close();
  }
}
