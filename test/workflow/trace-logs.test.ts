import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { replies } from "../../src/db/schema.js";
import { JOBS } from "../../src/workflow/services.js";
import { ADMIN, ADMIN_CHAT, startTestApp, type TestApp } from "../support/app-harness.js";
import { capturingLogger } from "../support/logger.js";
import { buttonData, startWorkflowRig, type WorkflowRig } from "../support/workflow-rig.js";

interface LogLine {
  readonly msg: string;
  readonly trace?: string;
  readonly replyId?: number;
  readonly tweetId?: string;
}

describe("trace of one item: its log lines and /trace", () => {
  let rig: WorkflowRig;
  let app: TestApp;
  let postId: string | undefined;
  const captured = capturingLogger();

  beforeAll(async () => {
    rig = await startWorkflowRig();
    app = await startTestApp(rig.tg, { env: rig.env(), logger: captured.logger });
  });
  afterAll(async () => {
    await app.stop();
    await rig.close();
  });

  it("every line about a discovered → drafted → approved → published post carries trace = the post id", async () => {
    const mention = rig.x.addTweet({ authorId: rig.alice.id, text: "@replyguy is tracing worth it?" });
    postId = mention.id;
    await app.app.scheduler.runNow(JOBS.discovery);
    const card = await rig.tg.waitForBotMessage((m) => m.chatId === ADMIN_CHAT.id && m.text.includes("tracing worth") && m.inlineKeyboard.length > 0);
    const pressed = await rig.tg.pressButton({ from: ADMIN, chat: ADMIN_CHAT, messageId: card.messageId, data: buttonData(card, "Approve"), force: true });
    await rig.tg.waitForCallbackAnswer(pressed);
    await rig.tg.waitForBotMessage((m) => m.messageId === card.messageId && m.text.includes("Published"));
    const [reply] = await app.database.handle.db.select().from(replies).where(eq(replies.postTweetId, mention.id));
    expect(reply?.status).toBe("published");

    const lines = captured.lines.map((line) => JSON.parse(line) as LogLine);
    const about = lines.filter(
      (line) => line.trace !== undefined || line.replyId === reply!.id || line.tweetId === mention.id || line.msg.includes(mention.id),
    );
    expect(about.map((line) => line.msg)).toEqual(
      expect.arrayContaining(["post discovered", "reply drafted", "card sent", "reply approved", "reply published"]),
    );
    for (const line of about) expect(line, line.msg).toMatchObject({ trace: mention.id });
  });

  it("/trace in the admin chat shows the same item, from discovery to its link on X", async () => {
    expect(postId).toBeDefined();
    const [reply] = await app.database.handle.db.select().from(replies).where(eq(replies.postTweetId, postId!));
    await rig.tg.sendText({ from: ADMIN, chat: ADMIN_CHAT, text: `/trace https://x.com/alice/status/${postId}?s=20` });
    const answer = await rig.tg.waitForBotMessage((m) => m.chatId === ADMIN_CHAT.id && m.text.includes("Trace of post"));
    expect(answer.text).toContain(`Trace of post ${postId}`);
    expect(answer.text).toContain("discovered via mention (@replyguy)");
    expect(answer.text).toContain(`approved by ${ADMIN.id}`);
    expect(answer.text).toContain(`Card: message ${reply!.cardMessageId}`);
    expect(answer.text).toMatch(/publish attempt from \S+: posted/);
    expect(answer.text).toContain(`https://x.com/i/web/status/${reply!.replyTweetId}`);
  });
});
