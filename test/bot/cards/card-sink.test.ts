/**
 * The Telegram card sink sorts Telegram's answers for card sync: a card Telegram refuses (400 about
 * the message) is this card's failure; Telegram down, rate-limiting, or refusing the chat stops the pass.
 */
import { Api } from "grammy";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createTelegramCardSink } from "../../../src/bot/cards/card-sink.js";
import { CardRefusedError, CardSinkUnavailableError } from "../../../src/workflow/card-sync.js";
import { ADMIN_CHAT } from "../../support/app-harness.js";
import { cardView } from "../../support/card-view.js";
import { startTelegramEmulator, type TelegramEmulator } from "../../support/telegram-emulator/index.js";

describe("Telegram card sink", () => {
  let tg: TelegramEmulator;
  let sink: ReturnType<typeof createTelegramCardSink>;

  beforeAll(async () => {
    tg = await startTelegramEmulator();
    // The plain API (no auto-retry): what reaches the sink is Telegram's first answer.
    sink = createTelegramCardSink(new Api(tg.token, { apiRoot: tg.apiRoot }), ADMIN_CHAT.id);
  });
  afterEach(() => tg.reset());
  afterAll(async () => {
    await tg.close();
  });

  it("a 400 about the message is this card's refusal, with Telegram's reason", async () => {
    tg.injectFault("sendMessage", { status: 400, description: "Bad Request: can't parse entities: Unsupported start tag" });
    const refused = await sink.send(cardView("hello")).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(CardRefusedError);
    expect((refused as Error).message).toBe("Telegram 400: Bad Request: can't parse entities: Unsupported start tag");
  });

  it.each([
    ["a 5xx", { status: 502 as const }],
    ["a 429", { status: 429 as const, retryAfter: 3 }],
    ["a 403 from the chat", { status: 403 as const, description: "Forbidden: bot was kicked from the supergroup chat" }],
    ["a 400 about the chat", { status: 400 as const, description: "Bad Request: chat not found" }],
  ])("%s means no card can go out now (Telegram answered: nothing was sent)", async (_name, fault) => {
    tg.injectFault("sendMessage", fault);
    const error = await sink.send(cardView("hello")).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CardSinkUnavailableError);
    expect((error as CardSinkUnavailableError).mayHaveSent).toBe(false);
  });

  it("an unreachable Telegram means no card can go out now, and a send without an answer may have been delivered", async () => {
    const offline = createTelegramCardSink(new Api(tg.token, { apiRoot: "http://127.0.0.1:1" }), ADMIN_CHAT.id);
    const error = await offline.send(cardView("hello")).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CardSinkUnavailableError);
    expect((error as CardSinkUnavailableError).mayHaveSent).toBe(true);
  });

  it("a card with a 4,000-character URL draft is accepted by the emulator's 4096 check", async () => {
    const messageId = await sink.send(cardView(`https://example.com/${"a".repeat(3_980)}`, "p".repeat(3_000)));
    const [card] = tg.botMessages(ADMIN_CHAT.id);
    expect(card?.messageId).toBe(messageId);
  });
});
