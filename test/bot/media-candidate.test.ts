/**
 * What an attachment in a Telegram message claims to be, before it is checked: the original photo as a JPEG, an
 * animation (a GIF Telegram turned into an MP4) before its twin `document`, a video, a file sent as a document.
 */
import type { Message } from "grammy/types";
import { describe, expect, it } from "vitest";
import { receivedMediaOf } from "../../src/bot/media/candidate.js";

const file = (id: string, size?: number) => ({ file_id: id, file_unique_id: `u-${id}`, ...(size === undefined ? {} : { file_size: size }) });

describe("receivedMediaOf: the candidate the workflow checks", () => {
  it.each([
    [
      "a photo: the largest size (the last), a JPEG",
      { photo: [{ ...file("small", 1_000), width: 90, height: 68 }, { ...file("original", 400_000), width: 1280, height: 960 }] },
      "photo",
      { fileId: "original", mimeType: "image/jpeg", bytes: 400_000, durationSeconds: undefined },
    ],
    [
      "an animation: its own type and length, not its twin document",
      {
        animation: { ...file("anim", 90_000), width: 480, height: 270, duration: 3, mime_type: "video/mp4", file_name: "a.gif.mp4" },
        document: { ...file("anim", 90_000), mime_type: "video/mp4", file_name: "a.gif.mp4" },
      },
      "animation",
      { fileId: "anim", mimeType: "video/mp4", bytes: 90_000, durationSeconds: 3 },
    ],
    [
      "a video: type, size and length",
      { video: { ...file("vid", 3_000_000), width: 1280, height: 720, duration: 12, mime_type: "video/quicktime" } },
      "video",
      { fileId: "vid", mimeType: "video/quicktime", bytes: 3_000_000, durationSeconds: 12 },
    ],
    [
      "a GIF sent as a file: a document with its type",
      { document: { ...file("doc", 2_000_000), mime_type: "image/gif", file_name: "cat.gif" } },
      "document",
      { fileId: "doc", mimeType: "image/gif", bytes: 2_000_000, durationSeconds: undefined },
    ],
    [
      "a document Telegram did not type or size: both unknown",
      { document: file("bare") },
      "document",
      { fileId: "bare", mimeType: undefined, bytes: undefined, durationSeconds: undefined },
    ],
  ])("%s", (_what, fields, as, candidate) => {
    const message = fields as Partial<Message>;
    expect(receivedMediaOf(message)?.candidate).toEqual(candidate);
    expect(receivedMediaOf(message)).toEqual({ as, candidate });
  });

  it("is undefined for a message without an attachment (text, a sticker, an empty photo list)", () => {
    expect(receivedMediaOf({ text: "hello" } as Partial<Message>)).toBeUndefined();
    expect(receivedMediaOf({ sticker: { ...file("st"), type: "regular", width: 512, height: 512, is_animated: false, is_video: false } } as Partial<Message>)).toBeUndefined();
    expect(receivedMediaOf({ photo: [] })).toBeUndefined();
  });
});
