import { JOBS } from "../src/workflow/services.js";
import { ADMIN, ADMIN_CHAT, startTestApp } from "../test/support/app-harness.js";
import { buttonData, startWorkflowRig } from "../test/support/workflow-rig.js";
import { onEachDatabase, type AppDatabase } from "./app-databases.js";
import { formatMs } from "./stats.js";

const ROUNDS = 50;
/**
 * The product's default PUBLISH_CRON, instead of the rig's never: an approval whose wake-up run finds nothing to
 * claim (seen now and then) is published by the next poll and shows as a ~10 s outlier instead of stopping the bench.
 */
const POLL_CRON = "*/10 * * * * *";
/** An approval slower than this waited for the poll rather than its own wake-up. */
const WOKE_WITHIN_MS = 1_000;

/** Both latencies of one database, 50 of each. */
async function measure({ database, env }: AppDatabase): Promise<{ discoveryToCard: number[]; approveToPost: number[] }> {
  const rig = await startWorkflowRig();
  // Limits high enough for 50 posts by one author in a minute: the bench measures latency, not pacing or caps.
  const app = await startTestApp(rig.tg, {
    env: rig.env({ MAX_POSTS_PER_HOUR: "1000", MAX_POSTS_PER_DAY: "10000", MAX_DRAFTS_PER_AUTHOR_PER_DAY: "1000", PUBLISH_CRON: POLL_CRON, ...env }),
    database,
  });
  const discoveryToCard: number[] = [];
  const approveToPost: number[] = [];
  try {
    for (let i = 0; i < ROUNDS; i++) {
      const mention = rig.x.addTweet({ authorId: rig.alice.id, text: `@replyguy benchmark question number ${i}?` });
      const discoveryStarted = performance.now();
      await app.app.scheduler.runNow(JOBS.discovery);
      const card = await rig.tg.waitForBotMessage(
        (m) => m.chatId === ADMIN_CHAT.id && m.text.includes(`question number ${i}?`) && m.inlineKeyboard.length > 0,
        10_000,
      );
      discoveryToCard.push(performance.now() - discoveryStarted);

      const postsBefore = rig.posts().length;
      const pressStarted = performance.now();
      await rig.tg.pressButton({ from: ADMIN, chat: ADMIN_CHAT, messageId: card.messageId, data: buttonData(card, "Approve") });
      const deadline = Date.now() + 15_000;
      while (rig.posts().length === postsBefore) {
        if (Date.now() > deadline) throw new Error(`reply ${i} was not posted within 15 s`);
        await new Promise((resolve) => setImmediate(resolve));
      }
      approveToPost.push(performance.now() - pressStarted);
      if (!rig.x.repliesTo(mention.id).length) throw new Error("reply not posted");
    }
  } finally {
    await app.stop();
    await rig.close();
  }
  return { discoveryToCard, approveToPost };
}

/**
 * With the local fakes and zero scheduling delay, on the embedded database and then on the local PostgreSQL (a
 * scratch database, DATABASE_URL set as in a deployment): discovery → card (a discovery run that finds one new
 * mention until its card is in the chat) and approve → POST (the admin's press until the reply's POST reaches the
 * fake X), 50 of each. The publisher also polls as in the product (PUBLISH_CRON's default).
 */
export async function benchLatency(): Promise<void> {
  const lines: string[] = [];
  await onEachDatabase("latency", async (target) => {
    const { discoveryToCard, approveToPost } = await measure(target);
    lines.push(`${target.name.padEnd(10)} discovery → card: ${formatMs(discoveryToCard)}`);
    const polled = approveToPost.filter((ms) => ms > WOKE_WITHIN_MS).length;
    lines.push(`${target.name.padEnd(10)} approve → POST:   ${formatMs(approveToPost)}; ${polled} waited for the poll (> ${WOKE_WITHIN_MS} ms)`);
  });
  for (const line of lines) console.log(line);
}
