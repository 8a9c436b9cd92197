import { startFakeOpenAI, type FakeOpenAI } from "./fake-openai.js";
import { startFakeX, type FakeX, type FakeXUser } from "./fake-x/index.js";
import { startTelegramEmulator, type BotMessageView, type TelegramEmulator } from "./telegram-emulator/index.js";

/** Access token of the bot's own X account at the fake. */
export const OUR_ACCESS_TOKEN = "our-access-token-123";

/** The three local peers of a reply-workflow test, and our X account and a post author there. */
export interface WorkflowRig {
  readonly tg: TelegramEmulator;
  readonly x: FakeX;
  readonly ai: FakeOpenAI;
  readonly us: FakeXUser;
  readonly alice: FakeXUser;
  /** Environment that points the bot at these peers, publishing right after approval. */
  env(extra?: Record<string, string>): Record<string, string>;
  /** POST /2/tweets requests the bot made. */
  posts(): { text: string; inReplyTo: string | undefined }[];
  /** Forgets everything the peers saw; our account and alice exist again with the same ids. */
  reset(): void;
  close(): Promise<void>;
}

/** Starts the emulator, the X fake (with our account and an author) and the OpenAI fake. */
export async function startWorkflowRig(): Promise<WorkflowRig> {
  const tg = await startTelegramEmulator();
  const x = await startFakeX();
  const ai = await startFakeOpenAI();
  const addUsers = () => ({
    us: x.addUser({ id: "900001", username: "replyguy", name: "Reply Guy", accessToken: OUR_ACCESS_TOKEN }),
    alice: x.addUser({ id: "900002", username: "alice", name: "Alice" }),
  });
  const { us, alice } = addUsers();
  return {
    tg,
    x,
    ai,
    us,
    alice,
    env: (extra = {}) => ({
      X_API_ROOT: x.baseUrl,
      X_APP_KEY: "app-key-123",
      X_APP_SECRET: "app-secret-123",
      X_ACCESS_TOKEN: OUR_ACCESS_TOKEN,
      X_ACCESS_SECRET: "access-secret-123",
      OPENAI_API_KEY: "sk-test-key-123",
      OPENAI_BASE_URL: ai.baseUrl,
      SCHEDULE_MIN_DELAY_MINUTES: "0",
      SCHEDULE_MAX_DELAY_MINUTES: "0",
      SCHEDULE_JITTER_SECONDS: "0",
      QUIET_HOURS: "",
      PUBLISH_GAP_SECONDS: "0",
      // Jobs run when a test says so (runNow), not on a timer.
      DISCOVERY_CRON: "0 0 1 1 *",
      PUBLISH_CRON: "0 0 1 1 *",
      ...extra,
    }),
    posts: () =>
      x.requests({ method: "POST", path: "/2/tweets" }).map((request) => {
        const body = request.body as { text: string; reply?: { in_reply_to_tweet_id?: string } };
        return { text: body.text, inReplyTo: body.reply?.in_reply_to_tweet_id };
      }),
    reset() {
      tg.reset();
      x.reset();
      ai.reset();
      addUsers();
    },
    async close() {
      await tg.close();
      await x.close();
      await ai.close();
    },
  };
}

/** The callback data of a card's button, by the start of its label ("✅ Approve" → "✅"). */
export function buttonData(card: BotMessageView, label: string): string {
  for (const row of card.inlineKeyboard) {
    for (const button of row) if (button.text.includes(label) && button.callbackData) return button.callbackData;
  }
  throw new Error(`no button "${label}" on card: ${JSON.stringify(card.inlineKeyboard)}`);
}
