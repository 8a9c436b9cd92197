/**
 * The three channel drivers on their own, over recording fakes of their ports (the Bot API, fetch, an SMTP
 * transport): what each sends, and how each failure comes out as a ChannelError (rest after a 429, a new
 * Telegram message when the old one cannot be edited, secrets masked, text clipped).
 */
import { describe, expect, it } from "vitest";
import {
  ChannelError,
  createTelegramAlertSender,
  emailChannel,
  telegramChannel,
  webhookChannel,
  type AlertBotApi,
  type MailTransport,
  type TelegramAlertSender,
} from "../../src/alerts/channels.js";
import {
  alertWebhookPayload,
  formatAlertHtml,
  formatAlertSubject,
  formatAlertText,
  formatRepeatText,
  type AlertView,
} from "../../src/alerts/format.js";
import { startSmtpReceiver } from "./support.js";

const SECRET = "sk-secret-123456";
const FORMAT = { timeZone: "UTC", secrets: [SECRET] };
const ALERT: AlertView = {
  id: 9,
  type: "publication_failed",
  level: "error",
  key: "reply:9",
  message: "X answered 503",
  details: {},
  occurredAt: new Date("2025-07-01T12:00:00Z"),
  repeatCount: 2,
  lastRepeatAt: new Date("2025-07-01T12:01:00Z"),
};
const STILL_HAPPENING = "↪️ still happening (the first message could not be edited)";

/** How a driver call failed: the ChannelError's message, rest and cannot-edit flag. */
async function failure(call: Promise<unknown>): Promise<{ message: string; retryAfterMs: number | undefined; cannotEdit: boolean }> {
  const error = await call.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (!(error instanceof ChannelError)) throw new Error(`expected a ChannelError, got ${String(error)}`);
  return { message: error.message, retryAfterMs: error.retryAfterMs, cannotEdit: error.cannotEdit };
}

describe("the Telegram alert sender", () => {
  it("sends and edits HTML without link previews in the admin chat, and hands back the message id", async () => {
    const calls: unknown[][] = [];
    const api: AlertBotApi = {
      sendMessage: (...args) => {
        calls.push(["sendMessage", ...args]);
        return Promise.resolve({ message_id: 31 });
      },
      editMessageText: (...args) => {
        calls.push(["editMessageText", ...args]);
        return Promise.resolve(true);
      },
    };
    const sender = createTelegramAlertSender(api, -100);
    expect(await sender.send("<b>a</b>")).toBe(31);
    await sender.edit(31, "<b>b</b>");
    const other = { parse_mode: "HTML", link_preview_options: { is_disabled: true } };
    expect(calls).toEqual([
      ["sendMessage", -100, "<b>a</b>", other],
      ["editMessageText", -100, 31, "<b>b</b>", other],
    ]);
  });
});

/** A Telegram port that records what it is asked and fails as told. */
function fakeSender(fail: { send?: unknown; edit?: unknown } = {}) {
  const calls: { method: "send" | "edit"; messageId?: number; html: string }[] = [];
  const sender: TelegramAlertSender = {
    send(html) {
      calls.push({ method: "send", html });
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the Bot API's errors are plain objects
      return "send" in fail ? Promise.reject(fail.send) : Promise.resolve(77);
    },
    edit(messageId, html) {
      calls.push({ method: "edit", messageId, html });
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the Bot API's errors are plain objects
      return "edit" in fail ? Promise.reject(fail.edit) : Promise.resolve();
    },
  };
  return { sender, calls };
}

describe("the Telegram channel", () => {
  it("sends the alert as HTML and edits that message to show repeats", async () => {
    const { sender, calls } = fakeSender();
    const channel = telegramChannel(sender, FORMAT);
    expect([channel.name, channel.editable]).toEqual(["telegram", true]);
    expect(await channel.send(ALERT)).toBe(77);
    expect(await channel.update(ALERT, 77)).toBeUndefined();
    const html = formatAlertHtml(ALERT, FORMAT);
    expect(calls).toEqual([
      { method: "send", html },
      { method: "edit", messageId: 77, html },
    ]);
  });

  it("sends the repeats as a new message, marked as such, when there is no message to edit", async () => {
    const { sender, calls } = fakeSender();
    expect(await telegramChannel(sender, FORMAT).update(ALERT, null)).toBe(77);
    expect(calls).toEqual([{ method: "send", html: formatAlertHtml(ALERT, FORMAT, STILL_HAPPENING) }]);
  });

  it("takes an edit Telegram finds unchanged as done", async () => {
    const { sender, calls } = fakeSender({ edit: { error_code: 400, description: "Bad Request: message is NOT modified" } });
    expect(await telegramChannel(sender, FORMAT).update(ALERT, 5)).toBeUndefined();
    expect(calls.map((call) => call.method)).toEqual(["edit"]);
  });

  it.each(["Bad Request: message to edit not found", "Bad Request: message can't be edited", "Bad Request: MESSAGE_ID_INVALID"])(
    "sends a new message when the old one cannot be edited (%s)",
    async (description) => {
      const { sender, calls } = fakeSender({ edit: { error_code: 400, description } });
      expect(await telegramChannel(sender, FORMAT).update(ALERT, 5)).toBe(77);
      expect(calls.map((call) => call.method)).toEqual(["edit", "send"]);
      expect(calls[1]!.html).toContain("still happening");
    },
  );

  it.each([
    ["another 400", { error_code: 400, description: "Bad Request: chat not found" }, "telegram 400: Bad Request: chat not found"],
    ["a 403 that reads like an unchanged message", { error_code: 403, description: "message is not modified" }, "telegram 403: message is not modified"],
    ["a 403 that reads like a message gone", { error_code: 403, description: "message to edit not found" }, "telegram 403: message to edit not found"],
    ["a 400 with no description", { error_code: 400 }, "telegram 400: [object Object]"],
    ["a thrown string", "socket closed", "telegram: socket closed"],
    ["null", null, "telegram: null"],
  ])("fails an edit refused with %s, without sending anything", async (_name, thrown, message) => {
    const { sender, calls } = fakeSender({ edit: thrown });
    expect(await failure(telegramChannel(sender, FORMAT).update(ALERT, 5))).toEqual({ message, retryAfterMs: undefined, cannotEdit: false });
    expect(calls.map((call) => call.method)).toEqual(["edit"]);
  });

  it("fails when the new message for the repeats cannot be sent either", async () => {
    const { sender } = fakeSender({ edit: { error_code: 400, description: "message to edit not found" }, send: new Error("socket hang up") });
    expect(await failure(telegramChannel(sender, FORMAT).update(ALERT, 5))).toEqual({
      message: "telegram: socket hang up",
      retryAfterMs: undefined,
      cannotEdit: false,
    });
  });

  it.each([
    ["the wait Telegram asks for", { error_code: 429, description: "Too Many Requests: retry after 7", parameters: { retry_after: 7 } }, 7_000],
    ["5 s without one", { error_code: 429, description: "Too Many Requests" }, 5_000],
    ["at least 1 s", { error_code: 429, description: "Too Many Requests", parameters: { retry_after: 0 } }, 1_000],
  ])("rests after a 429: %s", async (_name, thrown, retryAfterMs) => {
    const { sender } = fakeSender({ send: thrown });
    expect(await failure(telegramChannel(sender, FORMAT).send(ALERT))).toEqual({
      message: `telegram 429: ${thrown.description}`,
      retryAfterMs,
      cannotEdit: false,
    });
  });

  it("passes a ChannelError through as it is, and masks secrets in and clips any other failure", async () => {
    const own = new ChannelError("already a channel error", 2_000, true);
    const passed = await telegramChannel(fakeSender({ send: own }).sender, FORMAT)
      .send(ALERT)
      .catch((error: unknown) => error);
    expect(passed).toBe(own);
    const long = await failure(
      telegramChannel(fakeSender({ send: { error_code: 403, description: `Forbidden ${SECRET} ${"x".repeat(400)}` } }).sender, FORMAT).send(ALERT),
    );
    expect(long.message).toMatch(/^telegram 403: Forbidden \[REDACTED\] x+…$/);
    expect(long.message).toHaveLength(300);
  });
});

/** A fetch that records its requests and answers `respond`'s response, or throws what it throws. */
function fakeFetch(respond: () => Response) {
  const requests: { url: string; init: RequestInit }[] = [];
  const fetchImpl = ((url: string, init: RequestInit) => {
    requests.push({ url, init });
    return Promise.resolve().then(respond);
  }) as typeof fetch;
  return { fetchImpl, requests };
}

describe("the webhook channel", () => {
  const HOOK = "https://hooks.example/T/B";

  it("POSTs the payload as JSON, with a timeout; repeats are posted as a repeat-only payload", async () => {
    const { fetchImpl, requests } = fakeFetch(() => new Response("ok"));
    const channel = webhookChannel(HOOK, FORMAT, fetchImpl);
    expect([channel.name, channel.editable]).toEqual(["webhook", false]);
    expect(await channel.send(ALERT)).toBeUndefined();
    expect(await channel.update(ALERT, null)).toBeUndefined();
    expect(requests.map(({ url, init }) => [url, init.method, init.headers, JSON.parse(init.body as string) as unknown])).toEqual([
      [HOOK, "POST", { "content-type": "application/json" }, alertWebhookPayload(ALERT, FORMAT)],
      [HOOK, "POST", { "content-type": "application/json" }, alertWebhookPayload(ALERT, FORMAT, true)],
    ]);
    expect(requests[0]!.init.signal).toBeInstanceOf(AbortSignal);
  });

  it.each([
    ["the cause of a failed fetch", new TypeError("fetch failed", { cause: new Error("connect ECONNREFUSED 127.0.0.1:9") }), "connect ECONNREFUSED 127.0.0.1:9"],
    ["the error itself without a cause", new Error("The operation was aborted due to timeout"), "The operation was aborted due to timeout"],
    ["the error itself when its cause is no error", new Error("aborted", { cause: "timeout" }), "aborted"],
    ["whatever else was thrown", "boom", "boom"],
  ])("fails unreachable with %s", async (_name, thrown, reason) => {
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- fetch may reject with anything
    const fetchImpl = (() => Promise.reject(thrown)) as typeof fetch;
    expect(await failure(webhookChannel(HOOK, FORMAT, fetchImpl).send(ALERT))).toEqual({
      message: `webhook unreachable: ${reason}`,
      retryAfterMs: undefined,
      cannotEdit: false,
    });
  });

  it("fails with the status and the trimmed body of a refusal, secrets masked", async () => {
    const { fetchImpl } = fakeFetch(() => new Response(`  no such hook ${SECRET}\n`, { status: 404 }));
    expect(await failure(webhookChannel(HOOK, FORMAT, fetchImpl).send(ALERT))).toEqual({
      message: "webhook answered 404: no such hook [REDACTED]",
      retryAfterMs: undefined,
      cannotEdit: false,
    });
  });

  it("fails with the status alone when the body cannot be read", async () => {
    const broken = new Response(new ReadableStream({ pull: (controller) => controller.error(new Error("reset")) }), { status: 502 });
    const { fetchImpl } = fakeFetch(() => broken);
    expect((await failure(webhookChannel(HOOK, FORMAT, fetchImpl).send(ALERT))).message).toBe("webhook answered 502: ");
  });

  it.each([
    ["the Retry-After seconds", "12", 12_000],
    ["30 s without Retry-After", undefined, 30_000],
    ["30 s for a Retry-After that is no number", "soon", 30_000],
    ["30 s for a Retry-After of 0", "0", 30_000],
  ])("rests after a 429: %s", async (_name, retryAfter, retryAfterMs) => {
    const headers = retryAfter === undefined ? undefined : { "retry-after": retryAfter };
    const { fetchImpl } = fakeFetch(() => new Response("slow down", { status: 429, headers }));
    expect(await failure(webhookChannel(HOOK, FORMAT, fetchImpl).send(ALERT))).toEqual({
      message: "webhook answered 429: slow down",
      retryAfterMs,
      cannotEdit: false,
    });
  });
});

describe("the e-mail channel", () => {
  const SETTINGS = { smtpUrl: "smtp://127.0.0.1:9", to: "ops@localhost", from: "bot@localhost" };

  function recordingTransport(fail?: unknown) {
    const mails: Parameters<MailTransport["sendMail"]>[0][] = [];
    const transport: MailTransport = {
      sendMail(message) {
        mails.push(message);
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- a transport that rejects with a bare value
        return fail === undefined ? Promise.resolve({}) : Promise.reject(fail);
      },
    };
    return { transport, mails };
  }

  it("mails the alert as plain text, and its repeats under the same subject marked repeated", async () => {
    const { transport, mails } = recordingTransport();
    const channel = emailChannel(SETTINGS, FORMAT, transport);
    expect([channel.name, channel.editable]).toEqual(["email", false]);
    expect(await channel.send(ALERT)).toBeUndefined();
    expect(await channel.update(ALERT, null)).toBeUndefined();
    const subject = formatAlertSubject(ALERT, FORMAT);
    expect(mails).toEqual([
      { from: "bot@localhost", to: "ops@localhost", subject, text: formatAlertText(ALERT, FORMAT) },
      { from: "bot@localhost", to: "ops@localhost", subject: `${subject} — repeated`, text: formatRepeatText(ALERT, FORMAT) },
    ]);
  });

  it("mails over SMTP_URL itself when no transport is given", async () => {
    const smtp = await startSmtpReceiver();
    try {
      await emailChannel({ ...SETTINGS, smtpUrl: smtp.url }, FORMAT).send(ALERT);
      expect(smtp.mails).toEqual([expect.objectContaining({ from: "bot@localhost", to: ["ops@localhost"], subject: formatAlertSubject(ALERT, FORMAT) })]);
    } finally {
      await smtp.close();
    }
  });

  it.each([
    ["the error's message, secrets masked", new Error(`535 auth failed for ${SECRET}`), "smtp: 535 auth failed for [REDACTED]"],
    ["whatever else was thrown", 421, "smtp: 421"],
  ])("fails with %s", async (_name, thrown, message) => {
    const { transport } = recordingTransport(thrown);
    expect(await failure(emailChannel(SETTINGS, FORMAT, transport).send(ALERT))).toEqual({ message, retryAfterMs: undefined, cannotEdit: false });
  });
});
