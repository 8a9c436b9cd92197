// The HTTP front door: records each call, checks the token, applies outage and faults, answers; and the test API.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { TelegramServer } from "telegram-test-api/lib/telegramServer.js";
import { faultAnswer, takeFault } from "./faults.js";
import { CLOUD_BOT_API_DOWNLOAD_LIMIT, serveFile } from "./files.js";
import { dispatch } from "./methods.js";
import { BOT_INFO, TOKEN } from "./options.js";
import { parsePayload } from "./payload.js";
import { describeView, EmulatorState, type Answer, type TestApiCore } from "./state.js";
import { BotApiError, type RecordedCall, type TelegramEmulator, type TelegramEmulatorOptions } from "./types.js";
import { pressButton, sendMedia, sendText } from "./users.js";
import { isJson, type Json } from "./values.js";
import { failedCallsSummary, waitFor } from "./waits.js";

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function write(s: EmulatorState, res: ServerResponse, call: RecordedCall | undefined, answer: Answer): void {
  if (call) {
    call.ok = answer.ok;
    if (answer.ok) call.result = answer.result;
    else {
      call.errorCode = answer.error_code;
      call.description = answer.description;
    }
    s.notify();
  }
  if (res.writableEnded || res.destroyed) return;
  const body = JSON.stringify(answer);
  const headers: Record<string, string | number> = { "content-type": "application/json", "content-length": Buffer.byteLength(body) };
  if (!answer.ok && isJson(answer.parameters) && typeof answer.parameters.retry_after === "number") {
    headers["retry-after"] = answer.parameters.retry_after;
  }
  res.writeHead(answer.ok ? 200 : answer.error_code, headers);
  res.end(body);
}

async function handle(s: EmulatorState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://127.0.0.1");
  const download = /^\/file\/bot([^/]+)\/(.+)$/.exec(url.pathname);
  if (download) {
    const [, token = "", filePath = ""] = download;
    if (req.method !== "GET" || token !== TOKEN || !serveFile(s, decodeURIComponent(filePath), res)) {
      write(s, res, undefined, { ok: false, error_code: 404, description: "Not Found" });
    }
    return;
  }
  const match = /^\/bot([^/]+)\/([A-Za-z0-9_]+)\/?$/.exec(url.pathname);
  if (!match) {
    write(s, res, undefined, { ok: false, error_code: 404, description: "Not Found" });
    return;
  }
  const [, token = "", method = ""] = match;
  const lower = method.toLowerCase();
  let payload: Json;
  try {
    payload = await parsePayload(req, url);
  } catch (e) {
    const call: RecordedCall = { method, payload: {}, at: Date.now() };
    s.calls.push(call);
    write(s, res, call, { ok: false, error_code: 400, description: `Bad Request: can't parse request body: ${String(e)}` });
    return;
  }
  const call: RecordedCall = { method, payload, at: Date.now() };
  s.calls.push(call);
  if (token !== TOKEN) {
    write(s, res, call, { ok: false, error_code: 401, description: "Unauthorized" });
    return;
  }
  if (s.down) {
    write(s, res, call, faultAnswer({ status: 502 }));
    return;
  }
  const fault = takeFault(s, lower);
  if (fault && "delayMs" in fault) await sleep(fault.delayMs);
  else if (fault && "hangAfterDelivery" in fault) {
    await dispatch(s, method, lower, payload, res);
    if (!res.destroyed) await new Promise((resolve) => res.once("close", resolve));
    call.ok = false;
    call.description = "answer withheld after delivery (hangAfterDelivery)";
    s.notify();
    return;
  } else if (fault) {
    write(s, res, call, faultAnswer(fault));
    return;
  }
  let answer: Answer | null;
  try {
    answer = await dispatch(s, method, lower, payload, res);
  } catch (e) {
    answer =
      e instanceof BotApiError
        ? {
            ok: false,
            error_code: e.errorCode,
            description: e.description,
            ...(e.parameters ? { parameters: { ...e.parameters } } : {}),
          }
        : { ok: false, error_code: 500, description: `Internal Server Error: emulator failure: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}` };
  }
  if (answer) write(s, res, call, answer);
  else {
    call.ok = false;
    call.description = "aborted by client";
  }
}

/** Starts an emulator on 127.0.0.1 with a random free port. */
export async function startTelegramEmulator(options: TelegramEmulatorOptions = {}): Promise<TelegramEmulator> {
  const raw = new TelegramServer({ host: "127.0.0.1", storeTimeout: 24 * 60 * 60 });
  const s = new EmulatorState(raw as unknown as TestApiCore, options.fileDownloadLimitBytes ?? CLOUD_BOT_API_DOWNLOAD_LIMIT);

  const server = createServer((req, res) => {
    // Node writes Date itself unless one is set: a skewed one shows a server whose clock differs from ours.
    if (s.clockOffsetMs !== 0) res.setHeader("date", new Date(Date.now() + s.clockOffsetMs).toUTCString());
    handle(s, req, res).catch((e: unknown) => {
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ ok: false, error_code: 500, description: `emulator failure: ${String(e)}` }));
      }
    });
  });
  server.keepAliveTimeout = 60_000; // long, to avoid the idle-socket reuse race (ECONNRESET); close() destroys sockets anyway
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const apiRoot = `http://127.0.0.1:${port}`;
  // Keep the library's own config truthful (its getClient() would otherwise point at :9000).
  raw.config.port = port;
  raw.config.apiURL = apiRoot;

  const emulator: TelegramEmulator = {
    apiRoot,
    token: TOKEN,
    botInfo: BOT_INFO,
    botConfig: { botInfo: BOT_INFO, client: { apiRoot } },
    raw,

    sendText: (opts) => sendText(s, opts),

    sendMedia: (opts) => sendMedia(s, opts),

    setFileDownloadLimit(bytes) {
      s.fileDownloadLimit = bytes;
    },

    fileDownloads: () => [...s.downloads],

    pressButton: (opts) => pressButton(s, opts),

    botMessages: (chatId) => s.botMessages(chatId),

    waitForBotMessage(predicate, timeoutMs = 5000) {
      return waitFor(
        s,
        () => s.botMessages().find(predicate),
        timeoutMs,
        () =>
          `waitForBotMessage: no bot message matched within ${timeoutMs} ms. Bot messages (${s.botMessages().length}):\n${
            s.botMessages().map(describeView).join("\n") || "  (none)"
          }${failedCallsSummary(s)}`,
      );
    },

    callbackAnswers() {
      return s.answers.map((a) => ({ ...a }));
    },

    waitForCallbackAnswer(callbackQueryId, timeoutMs = 5000) {
      return waitFor(
        s,
        () => {
          const a = s.answers.find((x) => x.callbackQueryId === callbackQueryId);
          if (!a) return undefined;
          const out: { text?: string; showAlert?: boolean } = {};
          if (a.text !== undefined) out.text = a.text;
          if (a.showAlert !== undefined) out.showAlert = a.showAlert;
          return out;
        },
        timeoutMs,
        () =>
          `waitForCallbackAnswer: callback query ${callbackQueryId} not answered within ${timeoutMs} ms. Answers so far: ${JSON.stringify(s.answers)}${failedCallsSummary(s)}`,
      );
    },

    calls(method) {
      const lower = method?.toLowerCase();
      return s.calls.filter((c) => (lower === undefined ? c.method.toLowerCase() !== "getupdates" : c.method.toLowerCase() === lower));
    },

    waitForCall(method, predicate = () => true, timeoutMs = 5000) {
      return waitFor(
        s,
        () => emulator.calls(method).find((c) => c.ok !== undefined && predicate(c)),
        timeoutMs,
        () => `waitForCall: no answered ${method} call matched within ${timeoutMs} ms. Calls: ${emulator.calls().map((c) => c.method).join(", ")}`,
      );
    },

    injectFault(method, fault, times = 1) {
      const lower = method.toLowerCase();
      const queue = s.faults.get(lower) ?? [];
      queue.push({ fault, remaining: times });
      s.faults.set(lower, queue);
    },

    stubMethod(method, stub) {
      if (stub === undefined) s.stubs.delete(method.toLowerCase());
      else s.stubs.set(method.toLowerCase(), stub);
    },

    setClockOffset(ms) {
      s.clockOffsetMs = ms;
    },

    setDown(value) {
      s.down = value;
      if (value) for (const p of [...s.polls]) p.finish(faultAnswer({ status: 502 }));
    },

    reset: () => s.reset(),

    async close() {
      if (s.closed) return;
      s.closed = true;
      for (const p of [...s.polls]) p.finish({ ok: true, result: [] });
      for (const w of [...s.waiters]) w.abort(new Error("Telegram emulator closed"));
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
  return emulator;
}
