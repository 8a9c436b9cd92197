/**
 * The Telegram emulator's user media: a real grammY bot receives photos, GIFs (as MP4 animations), videos and
 * documents with Telegram's fields, reads them with getFile (refused over the cloud Bot API's 20 MB) and downloads
 * the bytes from the file URL.
 */
import { run, type RunnerHandle } from "@grammyjs/runner";
import { Bot, GrammyError } from "grammy";
import type { Message } from "grammy/types";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  CLOUD_BOT_API_DOWNLOAD_LIMIT,
  EMULATOR_RUNNER_OPTIONS,
  generatedByte,
  startTelegramEmulator,
  type EmulatorUser,
  type TelegramEmulator,
} from "../support/telegram-emulator/index.js";

const admin: EmulatorUser = { id: 4242, first_name: "Admin" };

function bytesOf(size: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: size }, (_, i) => (i * seed) % 256);
}

describe("Telegram emulator: media users send, getFile and downloads", () => {
  let tg: TelegramEmulator;
  let bot: Bot;
  let handle: RunnerHandle | undefined;
  let received: Message[];

  beforeAll(async () => {
    tg = await startTelegramEmulator();
  });
  afterEach(async () => {
    await handle?.stop();
    handle = undefined;
    tg.reset();
  });
  afterAll(async () => {
    await tg.close();
  });

  function startBot(): void {
    received = [];
    bot = new Bot(tg.token, tg.botConfig);
    bot.on("message", (ctx) => {
      received.push(ctx.message);
    });
    handle = run(bot, EMULATOR_RUNNER_OPTIONS);
  }

  async function nextMessage(count: number): Promise<Message> {
    const deadline = Date.now() + 5_000;
    while (received.length < count) {
      if (Date.now() > deadline) throw new Error(`the bot received ${received.length} of ${count} messages`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const message = received[count - 1];
    if (!message) throw new Error("no message");
    return message;
  }

  async function download(filePath: string, token = tg.token): Promise<Response> {
    return fetch(`${tg.apiRoot}/file/bot${token}/${filePath}`);
  }

  async function downloadBytes(fileId: string): Promise<Buffer> {
    const file = await bot.api.getFile(fileId);
    const response = await download(file.file_path ?? "");
    expect(response.status).toBe(200);
    return Buffer.from(await response.arrayBuffer());
  }

  it("delivers a photo as Telegram's sizes (largest last = the original) with its caption; getFile + the URL give its bytes", async () => {
    startBot();
    const bytes = bytesOf(40_000, 7);
    const sent = await tg.sendMedia({ from: admin, media: { kind: "photo", bytes, width: 1600, height: 1200 }, caption: "this one" });
    const message = await nextMessage(1);
    expect(message.message_id).toBe(sent.messageId);
    expect(message.caption).toBe("this one");
    const sizes = message.photo ?? [];
    expect(sizes.map((p) => [p.width, p.height])).toEqual([[90, 68], [320, 240], [800, 600], [1600, 1200]]);
    expect(sizes.at(-1)).toEqual({ file_id: sent.fileId, file_unique_id: sent.fileUniqueId, file_size: 40_000, width: 1600, height: 1200 });
    expect(new Set(sizes.map((p) => p.file_id)).size).toBe(4);
    expect(sizes.every((p, i) => i === 0 || (p.file_size ?? 0) > (sizes[i - 1]?.file_size ?? 0))).toBe(true);

    const file = await bot.api.getFile(sent.fileId);
    expect(file).toEqual({ file_id: sent.fileId, file_unique_id: sent.fileUniqueId, file_size: 40_000, file_path: sent.filePath });
    expect((await downloadBytes(sent.fileId)).equals(Buffer.from(bytes))).toBe(true);
    expect((await downloadBytes(sizes[0]?.file_id ?? "")).length).toBe(sizes[0]?.file_size);
    expect(tg.fileDownloads()).toEqual([sent.filePath, expect.stringMatching(/^photos\//)]);
  });

  it("delivers a GIF as an MP4 animation with the same file as document, and a video with its type and duration", async () => {
    startBot();
    const gif = await tg.sendMedia({ from: admin, media: { kind: "animation", size: 300_000, duration: 4, width: 320, height: 240 } });
    const animated = await nextMessage(1);
    expect(animated.animation).toEqual({
      file_id: gif.fileId,
      file_unique_id: gif.fileUniqueId,
      file_size: 300_000,
      file_name: "animation.gif.mp4",
      mime_type: "video/mp4",
      width: 320,
      height: 240,
      duration: 4,
    });
    expect(animated.document).toMatchObject({ file_id: gif.fileId, mime_type: "video/mp4", file_size: 300_000 });

    const mov = await tg.sendMedia({ from: admin, media: { kind: "video", size: 2_000_000, mimeType: "video/quicktime", duration: 61, fileName: "clip.mov" } });
    const video = (await nextMessage(2)).video;
    expect(video).toMatchObject({ file_id: mov.fileId, mime_type: "video/quicktime", duration: 61, file_size: 2_000_000, file_name: "clip.mov" });
    expect(mov.filePath).toMatch(/^videos\/.+\.mov$/);
    const content = await downloadBytes(mov.fileId);
    expect(content.length).toBe(2_000_000);
    expect([content[0], content[1], content[300_000]]).toEqual([generatedByte(0), generatedByte(1), generatedByte(300_000)]);
  });

  it("delivers documents (a GIF or WEBP sent as a file) with mime type and name", async () => {
    startBot();
    const bytes = bytesOf(1_000, 3);
    const webp = await tg.sendMedia({ from: admin, media: { kind: "document", bytes, mimeType: "image/webp", fileName: "sticker.webp" }, caption: "doc" });
    expect((await nextMessage(1)).document).toEqual({
      file_id: webp.fileId,
      file_unique_id: webp.fileUniqueId,
      file_size: 1_000,
      file_name: "sticker.webp",
      mime_type: "image/webp",
    });
    await tg.sendMedia({ from: admin, media: { kind: "document", size: 10, mimeType: "image/gif" } });
    expect((await nextMessage(2)).document).toMatchObject({ mime_type: "image/gif", file_name: "file.gif" });
    expect((await downloadBytes(webp.fileId)).equals(Buffer.from(bytes))).toBe(true);
  });

  it("refuses getFile over 20 MB like the cloud Bot API; a local-server limit lets it through", async () => {
    startBot();
    const big = await tg.sendMedia({ from: admin, media: { kind: "video", size: 30 * 1024 * 1024 } });
    const atLimit = await tg.sendMedia({ from: admin, media: { kind: "video", size: CLOUD_BOT_API_DOWNLOAD_LIMIT } });
    await nextMessage(2);
    const error = await bot.api.getFile(big.fileId).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(GrammyError);
    expect([(error as GrammyError).error_code, (error as GrammyError).description]).toEqual([400, "Bad Request: file is too big"]);
    expect((await bot.api.getFile(atLimit.fileId)).file_size).toBe(CLOUD_BOT_API_DOWNLOAD_LIMIT);

    tg.setFileDownloadLimit(Number.POSITIVE_INFINITY);
    const file = await bot.api.getFile(big.fileId);
    const response = await download(file.file_path ?? "");
    expect(response.headers.get("content-length")).toBe(String(30 * 1024 * 1024));
    expect(Buffer.from(await response.arrayBuffer()).length).toBe(30 * 1024 * 1024);
  });

  it("answers unknown file ids with 400 and unknown paths or a wrong token with 404; reset forgets files", async () => {
    startBot();
    const sent = await tg.sendMedia({ from: admin, media: { kind: "photo", size: 50, width: 80, height: 60 } });
    expect((await nextMessage(1)).photo).toHaveLength(1);
    await expect(bot.api.getFile("no-such-file")).rejects.toThrow("Bad Request: invalid file_id");
    expect((await download("photos/nothing.jpg")).status).toBe(404);
    expect((await download(sent.filePath, "123:wrong")).status).toBe(404);
    expect((await download(sent.filePath)).status).toBe(200);
    tg.reset();
    expect(tg.fileDownloads()).toEqual([]);
    expect((await download(sent.filePath)).status).toBe(404);
  });
});
