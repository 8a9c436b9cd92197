/**
 * Attachments are checked before anything is stored or uploaded: a type X takes, within X's limits for its kind
 * and the chat's download limit; each refusal names the limit. Boundaries are tested on both sides.
 */
import { describe, expect, it } from "vitest";
import { checkDownloadedSize, describeMedia, replyMediaOf, validateMedia, X_MEDIA_LIMITS } from "../../src/workflow/media/validate.js";
import type { MediaCandidate } from "../../src/workflow/media/types.js";

const MB = 1024 * 1024;
const CLOUD = { downloadLimitBytes: 20 * MB };
const LOCAL = { downloadLimitBytes: 2000 * MB };

const file = (mimeType: string | undefined, bytes?: number, durationSeconds?: number): MediaCandidate => ({
  fileId: "AgAD-file",
  mimeType,
  bytes,
  durationSeconds,
});

describe("validateMedia", () => {
  it.each([
    ["image/jpeg", "image"],
    ["image/png", "image"],
    ["image/webp", "image"],
    ["IMAGE/JPEG", "image"],
    ["image/gif", "gif"],
    ["video/mp4", "video"],
    ["video/quicktime", "video"],
  ] as const)("%s is a %s", (mimeType, kind) => {
    expect(validateMedia(file(mimeType, 1_000), CLOUD)).toEqual({
      ok: true,
      media: { fileId: "AgAD-file", kind, mimeType: mimeType.toLowerCase(), bytes: 1_000, durationSeconds: undefined },
    });
  });

  it.each(["application/pdf", "image/heic", "video/webm", "audio/mpeg"])("refuses %s, naming what X takes", (mimeType) => {
    expect(validateMedia(file(mimeType, 1_000), CLOUD)).toEqual({
      ok: false,
      message: `X takes JPEG, PNG, WEBP or GIF images and MP4 or MOV videos; this file is ${mimeType}.`,
    });
  });

  it("refuses a file of unknown type", () => {
    expect(validateMedia(file(undefined, 1_000), CLOUD)).toMatchObject({ ok: false, message: expect.stringContaining("of an unknown type") });
  });

  it("images: 5 MB is allowed, one byte more is refused naming X's limit", () => {
    expect(validateMedia(file("image/png", 5 * MB), CLOUD).ok).toBe(true);
    expect(validateMedia(file("image/png", 5 * MB + 1), CLOUD)).toEqual({
      ok: false,
      message: "This PNG is 5.0 MB: X takes at most 5 MB for an image.",
    });
  });

  it("GIFs: 15 MB is allowed, more is refused", () => {
    expect(validateMedia(file("image/gif", 15 * MB), CLOUD).ok).toBe(true);
    expect(validateMedia(file("image/gif", 15 * MB + 1), CLOUD)).toEqual({ ok: false, message: "This GIF is 15 MB: X takes at most 15 MB for a GIF." });
  });

  it("videos over Telegram's cloud download limit are refused naming it; a local Bot API server lifts it up to X's 512 MB", () => {
    expect(validateMedia(file("video/mp4", 20 * MB), CLOUD).ok).toBe(true);
    const refused = validateMedia(file("video/mp4", 30 * MB), CLOUD);
    expect(refused).toEqual({
      ok: false,
      message: "This MP4 is 30 MB: the bot can download at most 20 MB from Telegram (TELEGRAM_DOWNLOAD_LIMIT_MB; a local Bot API server lifts it).",
    });
    expect(validateMedia(file("video/mp4", 512 * MB), LOCAL).ok).toBe(true);
    expect(validateMedia(file("video/mp4", 512 * MB + 1), LOCAL)).toEqual({ ok: false, message: "This MP4 is 512 MB: X takes at most 512 MB for a video." });
  });

  it("videos: 140 s is allowed, 141 s is refused; under half a second is refused", () => {
    expect(validateMedia(file("video/quicktime", 1 * MB, 140), CLOUD)).toMatchObject({ ok: true, media: { durationSeconds: 140 } });
    expect(validateMedia(file("video/mp4", 1 * MB, 141), CLOUD)).toEqual({ ok: false, message: "This video is 141 s long: X takes at most 140 s." });
    expect(validateMedia(file("video/mp4", 1 * MB, 0), CLOUD)).toEqual({
      ok: false,
      message: "This video is shorter than 0.5 s: X takes videos of 0.5–140 s.",
    });
  });

  it("an image's duration does not matter; a size the chat did not report is checked later, on the bytes", () => {
    expect(validateMedia(file("image/jpeg", 1_000, 600), CLOUD).ok).toBe(true);
    expect(validateMedia(file("video/mp4", undefined, 10), CLOUD)).toMatchObject({ ok: true, media: { bytes: undefined } });
  });
});

describe("checkDownloadedSize", () => {
  it("checks the downloaded bytes against X's limit for the kind", () => {
    expect(checkDownloadedSize({ kind: "image", mimeType: "image/jpeg" }, X_MEDIA_LIMITS.image.maxBytes)).toBeUndefined();
    expect(checkDownloadedSize({ kind: "image", mimeType: "image/jpeg" }, X_MEDIA_LIMITS.image.maxBytes + 1)).toBe(
      "the attachment is 5.0 MB, over X's 5 MB for its kind",
    );
    expect(checkDownloadedSize({ kind: "gif", mimeType: "image/gif" }, 15 * MB)).toBeUndefined();
    expect(checkDownloadedSize({ kind: "gif", mimeType: "image/gif" }, 15 * MB + 1)).toBe("the attachment is 15 MB, over X's 15 MB for its kind");
    expect(checkDownloadedSize({ kind: "video", mimeType: "video/mp4" }, 512 * MB)).toBeUndefined();
    expect(checkDownloadedSize({ kind: "video", mimeType: "video/mp4" }, 600 * MB)).toBe("the attachment is 600 MB, over X's 512 MB for its kind");
  });
});

describe("refusals name the format and the limit", () => {
  it("a WEBP image too large, a video exactly 0.5 s long", () => {
    expect(validateMedia(file("image/webp", 6 * MB), CLOUD)).toEqual({ ok: false, message: "This WEBP is 6 MB: X takes at most 5 MB for an image." });
    expect(validateMedia(file("image/jpeg", 5.5 * MB), CLOUD)).toEqual({ ok: false, message: "This JPEG is 5.5 MB: X takes at most 5 MB for an image." });
    expect(validateMedia(file("video/quicktime", 1 * MB, 0.5), CLOUD)).toMatchObject({ ok: true, media: { durationSeconds: 0.5 } });
    expect(validateMedia(file("video/quicktime", 1 * MB, 0.4), CLOUD)).toMatchObject({ ok: false });
  });

  it("the chat's download limit is checked too, at its boundary", () => {
    const small = { downloadLimitBytes: 2 * MB };
    expect(validateMedia(file("image/png", 2 * MB), small).ok).toBe(true);
    expect(validateMedia(file("image/png", 2 * MB + 1), small)).toEqual({
      ok: false,
      message: "This PNG is 2.0 MB: the bot can download at most 2 MB from Telegram (TELEGRAM_DOWNLOAD_LIMIT_MB; a local Bot API server lifts it).",
    });
  });
});

describe("replyMediaOf", () => {
  const row = { mediaFileId: "f1", mediaKind: "video", mediaMimeType: "video/mp4", mediaBytes: 2_000, mediaDurationSeconds: 12 } as const;

  it("reads the attachment stored on a reply row; sizes and lengths not stored are undefined", () => {
    expect(replyMediaOf(row)).toEqual({ fileId: "f1", kind: "video", mimeType: "video/mp4", bytes: 2_000, durationSeconds: 12 });
    expect(replyMediaOf({ ...row, mediaBytes: null, mediaDurationSeconds: null })).toStrictEqual({
      fileId: "f1",
      kind: "video",
      mimeType: "video/mp4",
      bytes: undefined,
      durationSeconds: undefined,
    });
  });

  it.each(["mediaFileId", "mediaKind", "mediaMimeType"] as const)("a row without %s has no attachment", (column) => {
    expect(replyMediaOf({ ...row, [column]: null })).toBeUndefined();
  });
});

describe("describeMedia", () => {
  it.each([
    [{ kind: "video", mimeType: "video/mp4", bytes: 3.2 * MB, durationSeconds: 12 }, "Video · MP4 · 3.2 MB · 12 s"],
    [{ kind: "image", mimeType: "image/jpeg", bytes: 250_000, durationSeconds: undefined }, "Image · JPEG · 0.2 MB"],
    [{ kind: "image", mimeType: "image/png", bytes: 40_000, durationSeconds: undefined }, "Image · PNG · 39 KB"],
    [{ kind: "image", mimeType: "image/png", bytes: 100, durationSeconds: undefined }, "Image · PNG · 1 KB"],
    [{ kind: "gif", mimeType: "image/gif", bytes: 12 * MB, durationSeconds: undefined }, "GIF · 12 MB"],
    [{ kind: "video", mimeType: "video/quicktime", bytes: undefined, durationSeconds: undefined }, "Video · MOV"],
    [{ kind: "image", mimeType: "image/webp", bytes: 2 * MB, durationSeconds: undefined }, "Image · WEBP · 2 MB"],
    [{ kind: "video", mimeType: "video/mp4", bytes: 10 * MB + 1, durationSeconds: undefined }, "Video · MP4 · 10 MB"],
    [{ kind: "image", mimeType: "image/heic", bytes: undefined, durationSeconds: undefined }, "Image · image/heic"],
  ] as const)("%o reads %s", (media, line) => {
    expect(describeMedia({ fileId: "f", ...media })).toBe(line);
  });
});
