/**
 * Attachments in the Edit conversation, through the Telegram emulator and a real database: a photo, GIF, video or
 * file the admin sends is checked against X's and Telegram's limits; an accepted one goes on the reply, the card
 * shows it and the file comes back as a reply to the card; a refusal names the limit, changes nothing and the
 * conversation waits on; a caption becomes the text; /nomedia takes the attachment off.
 */
import { run, type RunnerHandle } from "@grammyjs/runner";
import { eq } from "drizzle-orm";
import { Api } from "grammy";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { createTelegramCardSink } from "../../src/bot/cards/card-sink.js";
import { createConversationStorage } from "../../src/bot/conversations/storage.js";
import { createReviewFeature } from "../../src/bot/features/review.js";
import { createUnhandledFeature } from "../../src/bot/features/unhandled.js";
import { createBotStack } from "../../src/bot/index.js";
import { loadConfig } from "../../src/config.js";
import { posts, replies, xAccounts } from "../../src/db/schema.js";
import { TelegramActivity } from "../../src/health/health-service.js";
import { createCardSync } from "../../src/workflow/card-sync.js";
import { PauseSwitch } from "../../src/workflow/pause.js";
import { createReview, type Review } from "../../src/workflow/review.js";
import { SettingsStore } from "../../src/workflow/settings.js";
import { ADMIN, ADMIN_CHAT, SECOND_ADMIN, testEnvironment } from "../support/app-harness.js";
import { createPgliteTestDatabase, type TestDatabase } from "../support/database.js";
import { capturingLogger, silentLogger } from "../support/logger.js";
import {
  EMULATOR_RUNNER_OPTIONS,
  startTelegramEmulator,
  type BotMessageView,
  type EmulatorMedia,
  type EmulatorUser,
  type TelegramEmulator,
} from "../support/telegram-emulator/index.js";
import { clearWorkflowTables, WORKFLOW_TEST_DEFAULTS } from "../support/workflow-fixtures.js";
import { buttonData } from "../support/workflow-rig.js";

const MB = 1024 * 1024;
const HOUR = 3_600_000;

describe("Edit: attachments", () => {
  let tg: TelegramEmulator;
  let database: TestDatabase;
  let review: Review;
  let handle: RunnerHandle;
  let logLines: string[];
  let cards: { sync(): Promise<number> };
  let accountId: number;
  let seq = 0;

  const db = () => database.handle.db;

  beforeAll(async () => {
    tg = await startTelegramEmulator();
    database = await createPgliteTestDatabase();
    const config = loadConfig(testEnvironment(tg));
    // No secrets given to the logger: what it writes must be free of the token on its own.
    const { logger, lines } = capturingLogger();
    logLines = lines;
    cards = createCardSync({
      db: db(),
      sink: createTelegramCardSink(new Api(tg.token, { apiRoot: tg.apiRoot }), ADMIN_CHAT.id),
      pause: new PauseSwitch(db()),
      logger: silentLogger(),
      timeZone: "UTC",
      accountUsername: () => "replyguy",
    });
    review = createReview({
      db: db(),
      settings: new SettingsStore(db(), WORKFLOW_TEST_DEFAULTS),
      drafter: undefined,
      timeZone: "UTC",
      redrawCards: () => void cards.sync(),
    });
    const bot = createBotStack(
      {
        config,
        logger,
        telegramActivity: new TelegramActivity(),
        botInfo: tg.botInfo,
        conversationStorage: createConversationStorage(db()),
      },
      [createReviewFeature({ review }), createUnhandledFeature()],
    );
    handle = run(bot, EMULATOR_RUNNER_OPTIONS);
  });
  afterAll(async () => {
    await handle.stop();
    await tg.close();
    await database.dispose();
  });

  beforeEach(async () => {
    tg.reset();
    logLines.length = 0;
    await clearWorkflowTables(db());
    const [account] = await db().insert(xAccounts).values({ label: "main", username: "replyguy", xUserId: "1" }).returning();
    accountId = account!.id;
  });

  const row = async (id: number) => (await db().select().from(replies).where(eq(replies.id, id)))[0]!;

  /** A draft awaiting approval and its card in the admin chat. */
  async function draftCard(draft = "Types catch bugs early."): Promise<{ id: number; card: BotMessageView }> {
    const tweetId = `77${++seq}`;
    await db().insert(posts).values({
      tweetId,
      authorId: "2",
      authorUsername: "alice",
      text: "@replyguy thoughts on TypeScript?",
      source: "mention",
      sourceDetail: "mentions",
      accountId,
      answerable: true,
      state: "drafted",
    });
    const [reply] = await db()
      .insert(replies)
      .values({ postTweetId: tweetId, accountId, status: "awaiting_approval", draft, weightedLength: draft.length, expiresAt: new Date(Date.now() + 24 * HOUR) })
      .returning();
    await cards.sync();
    const { cardMessageId } = await row(reply!.id);
    const card = tg.botMessages(ADMIN_CHAT.id).find((m) => m.messageId === cardMessageId);
    if (!card) throw new Error("the card was not sent");
    return { id: reply!.id, card };
  }

  /** Presses Edit on the card and waits for the prompt. */
  async function startEdit(id: number, card: BotMessageView): Promise<BotMessageView> {
    const queryId = await tg.pressButton({ from: ADMIN, chat: ADMIN_CHAT, messageId: card.messageId, data: buttonData(card, "Edit") });
    await tg.waitForCallbackAnswer(queryId);
    return tg.waitForBotMessage((m) => m.text.startsWith(`✏️ Send the new text for reply #${id}`));
  }

  const sendMedia = (media: EmulatorMedia, caption?: string, from: EmulatorUser = ADMIN) =>
    tg.sendMedia({ from, chat: ADMIN_CHAT, media, ...(caption === undefined ? {} : { caption }) });
  const say = (text: string) => tg.sendText({ from: ADMIN, chat: ADMIN_CHAT, text });
  /** The bot's next answer in the admin chat that starts with `start`. */
  const answered = (start: string) => tg.waitForBotMessage((m) => m.chatId === ADMIN_CHAT.id && m.kind === "text" && m.text.startsWith(start));
  /** The card once it shows `text`. */
  const cardShowing = (card: BotMessageView, text: string) => tg.waitForBotMessage((m) => m.messageId === card.messageId && m.text.includes(text));
  /** The preview of reply `id`, once sent (every test waits for it, so none arrives in the next test). */
  const previewOf = (id: number, kind: string) =>
    tg.waitForBotMessage((m) => m.kind === kind && m.text === `📎 Attachment of reply #${id}`);
  const previews = () => tg.botMessages(ADMIN_CHAT.id).filter((m) => m.text.startsWith("📎 Attachment of reply"));
  /** After this, the conversation is known to be over (a /cancel outside one gets this answer). */
  async function expectConversationOver(): Promise<void> {
    await say("/cancel");
    await answered("Nothing to cancel.");
  }

  it("asks for text, a photo, GIF or video, /nomedia or /cancel", async () => {
    const { id, card } = await draftCard();
    const prompt = await startEdit(id, card);
    expect(prompt.text).toBe(`✏️ Send the new text for reply #${id}, a photo, GIF or video to attach, /nomedia to remove the attachment, or /cancel.`);
  });

  it("attaches a photo: the card shows it under the draft and the photo comes back as a reply to the card", async () => {
    const { id, card } = await draftCard();
    await startEdit(id, card);
    const sent = await sendMedia({ kind: "photo", size: 1_300_000, width: 1600, height: 1200 });

    const answer = await answered("📎");
    expect(answer.text).toBe(`📎 Attached to reply #${id}: Image · JPEG · 1.2 MB. Approve it on its card.`);
    const redrawn = await cardShowing(card, "📎 Image · JPEG · 1.2 MB");
    expect(redrawn.text).toContain("<blockquote>Types catch bugs early.</blockquote>\n📎 Image · JPEG · 1.2 MB");
    const preview = await previewOf(id, "photo");
    expect(preview).toMatchObject({ replyToMessageId: card.messageId, chatId: ADMIN_CHAT.id });
    // The original (largest) size, by file_id: nothing was downloaded.
    expect(tg.calls("sendPhoto")[0]?.payload.photo).toBe(sent.fileId);
    expect(tg.fileDownloads()).toEqual([]);

    expect(await row(id)).toMatchObject({
      status: "awaiting_approval",
      draft: "Types catch bugs early.",
      mediaFileId: sent.fileId,
      mediaKind: "image",
      mediaMimeType: "image/jpeg",
      mediaBytes: 1_300_000,
      mediaDurationSeconds: null,
    });
    await expectConversationOver();
  });

  it("makes a caption the new text too, and says both (a GIF: Telegram's MP4 animation, previewed as one)", async () => {
    const { id, card } = await draftCard();
    await startEdit(id, card);
    const sent = await sendMedia({ kind: "animation", size: 800_000, duration: 4 }, "Exactly \u200bthis.");

    const answer = await answered("📎");
    expect(answer.text).toBe(`📎 Attached to reply #${id}: Video · MP4 · 0.8 MB · 4 s, and its caption is now the text. Approve it on its card.`);
    await cardShowing(card, "<blockquote>Exactly this.</blockquote>\n📎 Video · MP4 · 0.8 MB · 4 s");
    const preview = await previewOf(id, "animation");
    expect(preview.replyToMessageId).toBe(card.messageId);
    expect(tg.calls("sendAnimation")[0]?.payload.animation).toBe(sent.fileId);
    expect(await row(id)).toMatchObject({ draft: "Exactly this.", mediaFileId: sent.fileId, mediaKind: "video", mediaDurationSeconds: 4 });
  });

  it("refuses a video over 140 s naming the limit, changes nothing, and takes a valid one in the same conversation", async () => {
    const { id, card } = await draftCard();
    await startEdit(id, card);
    const before = await row(id);
    await sendMedia({ kind: "video", size: 5 * MB, duration: 150 }, "A caption that must not be used.");

    const refusal = await answered("This video");
    expect(refusal.text).toBe("This video is 150 s long: X takes at most 140 s. The draft is unchanged.");
    expect(await row(id)).toEqual(before);

    const valid = await sendMedia({ kind: "video", size: Math.round(3.2 * MB), duration: 12 });
    const answer = await answered("📎");
    expect(answer.text).toBe(`📎 Attached to reply #${id}: Video · MP4 · 3.2 MB · 12 s. Approve it on its card.`);
    await cardShowing(card, "📎 Video · MP4 · 3.2 MB · 12 s");
    expect((await previewOf(id, "video")).replyToMessageId).toBe(card.messageId);
    expect(await row(id)).toMatchObject({ draft: before.draft, mediaFileId: valid.fileId, mediaKind: "video", mediaMimeType: "video/mp4" });
    expect(previews()).toHaveLength(1);
  });

  it("refuses a 30 MB video naming Telegram's 20 MB download limit; /cancel then leaves the draft as it was", async () => {
    const { id, card } = await draftCard();
    await startEdit(id, card);
    const before = await row(id);
    await sendMedia({ kind: "video", size: 30 * MB, duration: 20 });

    const refusal = await answered("This MP4");
    expect(refusal.text).toBe(
      "This MP4 is 30 MB: the bot can download at most 20 MB from Telegram (TELEGRAM_DOWNLOAD_LIMIT_MB; a local Bot API server lifts it). The draft is unchanged.",
    );
    await say("/cancel");
    await answered(`Edit cancelled; reply #${id} is unchanged.`);
    expect(await row(id)).toEqual(before);
    expect(previews()).toEqual([]);
  });

  it("refuses a file of a type X does not take (a PDF), then takes a GIF sent as a file, previewed as a file", async () => {
    const { id, card } = await draftCard();
    await startEdit(id, card);
    const before = await row(id);
    await sendMedia({ kind: "document", mimeType: "application/pdf", size: 200_000, fileName: "paper.pdf" });

    const refusal = await answered("X takes");
    expect(refusal.text).toBe("X takes JPEG, PNG, WEBP or GIF images and MP4 or MOV videos; this file is application/pdf. The draft is unchanged.");
    expect(await row(id)).toEqual(before);

    const gif = await sendMedia({ kind: "document", mimeType: "image/gif", size: 2 * MB, fileName: "cat.gif" });
    await answered(`📎 Attached to reply #${id}: GIF · 2 MB.`);
    expect((await previewOf(id, "document")).replyToMessageId).toBe(card.messageId);
    expect(tg.calls("sendDocument")[0]?.payload.document).toBe(gif.fileId);
    expect(await row(id)).toMatchObject({ mediaFileId: gif.fileId, mediaKind: "gif", mediaMimeType: "image/gif" });
  });

  it("/nomedia takes the attachment off and ends the edit; without one it says so", async () => {
    const { id, card } = await draftCard();
    await startEdit(id, card);
    await sendMedia({ kind: "photo", size: 500_000 });
    await cardShowing(card, "📎 Image");
    await previewOf(id, "photo");

    await startEdit(id, tg.botMessages(ADMIN_CHAT.id).find((m) => m.messageId === card.messageId)!);
    await say("/nomedia");
    await answered(`Attachment removed; reply #${id} is posted as text only.`);
    const redrawn = await tg.waitForBotMessage((m) => m.messageId === card.messageId && !m.text.includes("📎"));
    expect(redrawn.text).toContain("Types catch bugs early.");
    expect(await row(id)).toMatchObject({ mediaFileId: null, mediaKind: null, mediaMimeType: null, mediaBytes: null, draft: "Types catch bugs early." });
    await expectConversationOver();

    await startEdit(id, redrawn);
    await say("/nomedia");
    await answered("This draft has no attachment.");
  });

  it("ignores an attachment from another admin while the edit waits for the one who pressed Edit", async () => {
    const { id, card } = await draftCard();
    await startEdit(id, card);
    await sendMedia({ kind: "photo", size: 500_000 }, "Not mine to give.", SECOND_ADMIN);
    // Updates of one chat are handled in order: once the admin's own video is in, the other photo was passed by.
    const own = await sendMedia({ kind: "video", size: MB, duration: 5 });
    await answered("📎");
    await previewOf(id, "video");
    expect(await row(id)).toMatchObject({ draft: "Types catch bugs early.", mediaFileId: own.fileId, mediaKind: "video" });
    expect(tg.botMessages(ADMIN_CHAT.id).filter((m) => m.text.startsWith("📎 Attached"))).toHaveLength(1);
    expect(tg.calls("sendPhoto")).toEqual([]);
  });

  it("lets what the edit does not take go on while it waits: another card's buttons are answered, its Edit moves the edit there", async () => {
    const first = await draftCard();
    const second = await draftCard("Second draft.");
    const third = await draftCard("Third draft.");
    await startEdit(first.id, first.card);

    const reject = await tg.pressButton({ from: SECOND_ADMIN, chat: ADMIN_CHAT, messageId: third.card.messageId, data: buttonData(third.card, "Reject") });
    expect((await tg.waitForCallbackAnswer(reject)).text).toBe("Rejected.");
    await startEdit(second.id, second.card);
    const sent = await sendMedia({ kind: "photo", size: 300_000 });
    await answered(`📎 Attached to reply #${second.id}`);
    await previewOf(second.id, "photo");
    expect((await row(second.id)).mediaFileId).toBe(sent.fileId);
    expect((await row(first.id)).mediaFileId).toBeNull();
    expect((await row(third.id)).status).toBe("rejected");
  });

  it("keeps the attachment when the preview cannot be sent, and logs why at warn without the token", async () => {
    const { id, card } = await draftCard();
    await startEdit(id, card);
    tg.injectFault("sendPhoto", { status: 400, description: "Bad Request: wrong file identifier/HTTP URL specified" });
    const sent = await sendMedia({ kind: "photo", size: 300_000 });

    await answered(`📎 Attached to reply #${id}`);
    await cardShowing(card, "📎 Image · JPEG");
    expect((await row(id)).mediaFileId).toBe(sent.fileId);
    const warning = await vi.waitFor(() => {
      const line = logLines.find((l) => l.includes("attachment preview not sent"));
      if (!line) throw new Error("not logged yet");
      return JSON.parse(line) as { level: number; replyId: number; reason: string };
    });
    expect(warning).toMatchObject({ level: 40, replyId: id });
    expect(warning.reason).toContain("wrong file identifier");
    expect(logLines.join("\n")).not.toContain(tg.token);
    expect(previews()).toEqual([]);
    await expectConversationOver();
  });

  it("attaches even when the caption is too long to be the text, says so, and waits for a shorter text", async () => {
    const { id, card } = await draftCard();
    await startEdit(id, card);
    const sent = await sendMedia({ kind: "photo", size: 300_000 }, "y".repeat(300));
    await previewOf(id, "photo");

    const answer = await answered("📎");
    expect(answer.text).toBe(
      `📎 Attached to reply #${id}: Image · JPEG · 0.3 MB. The caption did not become the text: Too long: 300 of 280 weighted characters. Send a shorter text or /cancel.`,
    );
    expect(await row(id)).toMatchObject({ draft: "Types catch bugs early.", mediaFileId: sent.fileId });
    await say("/cancel");
    await answered(`Edit finished; reply #${id} keeps its new attachment, its text is unchanged.`);
    expect((await row(id)).mediaFileId).toBe(sent.fileId);
  });

  it("ends the edit when the draft can no longer take an attachment (expired)", async () => {
    const { id, card } = await draftCard();
    await startEdit(id, card);
    await db().update(replies).set({ expiresAt: new Date(Date.now() - 1_000) }).where(eq(replies.id, id));
    await sendMedia({ kind: "photo", size: 300_000 });
    await answered("This draft has expired.");
    expect((await row(id)).mediaFileId).toBeNull();
    await expectConversationOver();
  });
});
