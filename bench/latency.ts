import { JOBS } from "../src/workflow/services.js";
import { ADMIN, ADMIN_CHAT, startTestApp } from "../test/support/app-harness.js";
import { PGlite } from "@electric-sql/pglite";
import { pgliteHandle } from "../src/db/pglite.js";
import { buttonData, startWorkflowRig } from "../test/support/workflow-rig.js";
import { formatMs } from "./stats.js";

/**
 * On the embedded database with the local fakes and zero scheduling delay: discovery → card (a
 * discovery run that finds one new mention until its card is in the chat) and approve → POST (the
 * admin's press until the reply's POST reaches the fake X), 50 of each.
 */
export async function benchLatency(): Promise<void> {
  const rig = await startWorkflowRig();
  const client = await PGlite.create();
  const handle = pgliteHandle(client);
  await handle.migrate();
  const database = { handle, url: undefined, dispose: () => handle.close() };
  // Limits high enough for 50 posts in a minute: the bench measures latency, not pacing.
  const app = await startTestApp(rig.tg, {
    env: rig.env({ MAX_POSTS_PER_HOUR: "1000", MAX_POSTS_PER_DAY: "10000" }),
    database,
  });
  const discoveryToCard: number[] = [];
  const approveToPost: number[] = [];
  try {
    for (let i = 0; i < 50; i++) {
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
      const deadline = Date.now() + 10_000;
      while (rig.posts().length === postsBefore) {
        if (Date.now() > deadline) throw new Error(`reply ${i} was not posted within 10 s`);
        await new Promise((resolve) => setImmediate(resolve));
      }
      approveToPost.push(performance.now() - pressStarted);
      if (!rig.x.repliesTo(mention.id).length) throw new Error("reply not posted");
    }
  } finally {
    await app.stop();
    await database.dispose();
    await rig.close();
  }
  console.log(`discovery → card: ${formatMs(discoveryToCard)}`);
  console.log(`approve → POST:   ${formatMs(approveToPost)}`);
}
