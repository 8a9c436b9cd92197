/**
 * The Telegram media source downloads an attachment through the emulator (getFile, then the file URL) and sorts
 * what goes wrong: a file Telegram will never hand out is a MediaUnavailableError (publishing gives up on it), a
 * network error, a 5xx, a timeout or a cancel is a plain Error (publishing tries again). No error carries the token.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { inspect } from "node:util";
import { Api } from "grammy";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createTelegramMediaSource } from "../../src/bot/media/telegram-media-source.js";
import { MediaUnavailableError, type MediaSource } from "../../src/workflow/media/types.js";
import { ADMIN } from "../support/app-harness.js";
import { generatedByte, startTelegramEmulator, type EmulatorMedia, type TelegramEmulator } from "../support/telegram-emulator/index.js";

const MB = 1024 * 1024;

describe("Telegram media source", () => {
  let tg: TelegramEmulator;
  /** Every error a download threw, checked for the token after each test. */
  let thrown: unknown[] = [];

  beforeAll(async () => {
    tg = await startTelegramEmulator();
  });
  afterEach(() => {
    tg.reset();
    const errors = thrown;
    thrown = [];
    for (const error of errors) {
      // Everything an error holds, causes included, as a log line would show it.
      const text = inspect(error, { depth: 10 });
      expect(text).not.toContain(tg.token);
      expect(text).not.toContain(tg.token.split(":")[1]);
    }
  });
  afterAll(async () => {
    await tg.close();
  });

  function source(options: { apiRoot?: string; timeoutMs?: number } = {}): MediaSource {
    return createTelegramMediaSource({
      api: new Api(tg.token, { apiRoot: tg.apiRoot }),
      apiRoot: options.apiRoot ?? tg.apiRoot,
      token: tg.token,
      timeoutMs: options.timeoutMs,
    });
  }

  /** The error a download throws (kept for the token check). */
  async function failure(download: Promise<Uint8Array>): Promise<Error> {
    const error = await download.then(
      () => {
        throw new Error("expected the download to fail");
      },
      (reason: unknown) => reason,
    );
    thrown.push(error);
    if (!(error instanceof Error)) throw new Error(`not an Error: ${String(error)}`);
    return error;
  }

  const send = (media: EmulatorMedia) => tg.sendMedia({ from: ADMIN, media });

  it("downloads a photo's bytes: getFile, then the file URL", async () => {
    const bytes = Uint8Array.from({ length: 50_000 }, (_, i) => (i * 13) % 256);
    const sent = await send({ kind: "photo", bytes });
    const downloaded = await source().download(sent.fileId);
    expect(Buffer.from(downloaded).equals(Buffer.from(bytes))).toBe(true);
    expect(tg.calls("getFile").map((call) => call.payload.file_id)).toEqual([sent.fileId]);
    expect(tg.fileDownloads()).toEqual([sent.filePath]);
  });

  it("downloads a 3 MB video whole, byte for byte", async () => {
    const sent = await send({ kind: "video", size: 3 * MB, duration: 12 });
    const downloaded = await source().download(sent.fileId);
    expect(downloaded.length).toBe(3 * MB);
    for (const i of [0, 1, 250, 251, 65_535, 65_536, 3 * MB - 1]) expect(downloaded[i]).toBe(generatedByte(i));
  });

  it("a file over getFile's limit (the cloud Bot API's 20 MB) is unavailable for good, and nothing is downloaded", async () => {
    const sent = await send({ kind: "video", size: 21 * MB, duration: 30 });
    const error = await failure(source().download(sent.fileId));
    expect(error).toBeInstanceOf(MediaUnavailableError);
    expect(error.message).toContain("file is too big");
    expect(tg.fileDownloads()).toEqual([]);
  });

  it("the same limit set lower (a test's own limit) refuses a small file the same way", async () => {
    tg.setFileDownloadLimit(1_000);
    const sent = await send({ kind: "document", mimeType: "image/gif", size: 2_000 });
    expect(await failure(source().download(sent.fileId))).toBeInstanceOf(MediaUnavailableError);
  });

  it("an unknown file_id is unavailable for good", async () => {
    const error = await failure(source().download("BQACAgIAAxkBAAI-no-such-file"));
    expect(error).toBeInstanceOf(MediaUnavailableError);
    expect(error.message).toContain("invalid file_id");
  });

  it("a file gone from the file server (404) is unavailable for good", async () => {
    tg.stubMethod("getFile", { result: { file_id: "gone", file_unique_id: "gone", file_size: 10, file_path: "videos/gone.mp4" } });
    const error = await failure(source().download("gone"));
    expect(error).toBeInstanceOf(MediaUnavailableError);
    expect(error.message).toContain("404");
  });

  it("a 5xx from getFile, and Telegram's 'temporarily unavailable', are worth another try", async () => {
    const sent = await send({ kind: "photo", size: 1_000 });
    tg.injectFault("getFile", { status: 502, description: "Bad Gateway" });
    const down = await failure(source().download(sent.fileId));
    expect(down).not.toBeInstanceOf(MediaUnavailableError);
    expect(down.message).toBe("Telegram getFile failed (502: Bad Gateway)");

    tg.injectFault("getFile", { status: 400, description: "Bad Request: wrong file_id or the file is temporarily unavailable" });
    expect(await failure(source().download(sent.fileId))).not.toBeInstanceOf(MediaUnavailableError);
    // The next try works.
    expect((await source().download(sent.fileId)).length).toBe(1_000);
  });

  it("a file server that answers 5xx, or cannot be reached, is worth another try", async () => {
    const sent = await send({ kind: "photo", size: 1_000 });
    const failing: Server = createServer((_req, res) => {
      res.writeHead(503).end();
    });
    await new Promise<void>((resolve) => failing.listen(0, "127.0.0.1", resolve));
    const root = `http://127.0.0.1:${(failing.address() as AddressInfo).port}`;
    try {
      const unavailable = await failure(source({ apiRoot: root }).download(sent.fileId));
      expect(unavailable).not.toBeInstanceOf(MediaUnavailableError);
      expect(unavailable.message).toBe("Telegram file download failed (HTTP 503)");
    } finally {
      await new Promise((resolve) => failing.close(resolve));
    }
    // The same port, now closed: the connection is refused.
    const refused = await failure(source({ apiRoot: root }).download(sent.fileId));
    expect(refused).not.toBeInstanceOf(MediaUnavailableError);
    expect(refused.message).toBe("Telegram file download failed (ECONNREFUSED)");
  });

  it("a Bot API that cannot be reached is worth another try, and grammY's error (it quotes the URL) is not passed on", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const root = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise((resolve) => closed.close(resolve));
    const media = createTelegramMediaSource({ api: new Api(tg.token, { apiRoot: root }), apiRoot: root, token: tg.token });
    const error = await failure(media.download("any"));
    expect(error).not.toBeInstanceOf(MediaUnavailableError);
    expect(error.message).toBe("Telegram getFile failed (ECONNREFUSED)");
    expect(error.cause).toBeUndefined();
  });

  it("gives up after timeoutMs, and when the caller cancels", async () => {
    const sent = await send({ kind: "photo", size: 1_000 });
    tg.injectFault("getFile", { delayMs: 3_000 });
    const started = Date.now();
    const late = await failure(source({ timeoutMs: 200 }).download(sent.fileId));
    expect(late).not.toBeInstanceOf(MediaUnavailableError);
    expect(late.message).toBe("Telegram getFile timed out after 200 ms");
    expect(Date.now() - started).toBeLessThan(2_000);

    tg.injectFault("getFile", { delayMs: 3_000 });
    const cancel = new AbortController();
    const download = source().download(sent.fileId, cancel.signal);
    cancel.abort();
    expect((await failure(download)).message).toBe("Telegram getFile cancelled");
  });

  it("times out a download whose body stalls", async () => {
    const sent = await send({ kind: "photo", size: 1_000 });
    const stalling: Server = createServer((_req, res) => {
      res.writeHead(200, { "content-length": "1000" });
      res.write(Buffer.alloc(10));
    });
    await new Promise<void>((resolve) => stalling.listen(0, "127.0.0.1", resolve));
    const root = `http://127.0.0.1:${(stalling.address() as AddressInfo).port}`;
    try {
      const error = await failure(source({ apiRoot: root, timeoutMs: 300 }).download(sent.fileId));
      expect(error.message).toBe("Telegram file download timed out after 300 ms");
    } finally {
      stalling.closeAllConnections();
      await new Promise((resolve) => stalling.close(resolve));
    }
  });
});
