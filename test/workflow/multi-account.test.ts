import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JOBS } from "../../src/workflow/services.js";
import { ADMIN, ADMIN_CHAT, startTestApp, type TestApp } from "../support/app-harness.js";
import { buttonData, startWorkflowRig, type WorkflowRig } from "../support/workflow-rig.js";

describe("several X accounts", () => {
  let rig: WorkflowRig;
  let app: TestApp;

  beforeAll(async () => {
    rig = await startWorkflowRig();
    rig.x.addUser({ id: "900003", username: "replygal", accessToken: "second-access-token" });
    app = await startTestApp(rig.tg, { env: rig.env({ X_EXTRA_ACCOUNTS: "second:second-access-token:second-secret" }) });
  });
  afterAll(async () => {
    await app.stop();
    await rig.close();
  });

  it("reads the mentions of each account and answers from the account that was mentioned", async () => {
    const toFirst = rig.x.addTweet({ authorId: rig.alice.id, text: "@replyguy first account, any thoughts?" });
    const toSecond = rig.x.addTweet({ authorId: rig.alice.id, text: "@replygal second account, any thoughts?" });
    await app.app.scheduler.runNow(JOBS.discovery);
    for (const [post, words] of [
      [toFirst, "first account"],
      [toSecond, "second account"],
    ] as const) {
      const card = await rig.tg.waitForBotMessage(
        (m) => m.chatId === ADMIN_CHAT.id && m.text.includes(words) && m.inlineKeyboard.length > 0,
      );
      const id = await rig.tg.pressButton({ from: ADMIN, chat: ADMIN_CHAT, messageId: card.messageId, data: buttonData(card, "Approve") });
      await rig.tg.waitForCallbackAnswer(id);
      await rig.tg.waitForBotMessage((m) => m.messageId === card.messageId && m.text.includes("Published"));
      expect(rig.x.repliesTo(post.id)).toHaveLength(1);
    }
    const authors = rig.x.requests({ method: "POST", path: "/2/tweets" }).map((request) => request.callerUserId);
    expect(authors).toEqual(["900001", "900003"]);
  });
});
